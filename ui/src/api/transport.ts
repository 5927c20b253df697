// How requests reach the registry: Tauri's IPC inside the desktop window, HTTP against `br serve` in a
// browser. Both carry the same AppRequest and deliver the same AppEvents.
import type { AppEvent, AppRequest, Download } from "./bindings";

export interface Transport {
  readonly kind: "desktop" | "browser";
  request(request: AppRequest): Promise<unknown>;
  /** Starts delivering events for this session; returns a function that stops it. */
  subscribe(token: string, onEvent: (event: AppEvent) => void): () => void;
  /** Sends a file up for this session (a browser on `br serve`); resolves to its upload id. */
  upload(token: string, file: File): Promise<string>;
  /** Saves a file an operation wrote for download (a browser on `br serve`). */
  download(d: Download): void;
}

/** The API's error shape, thrown by every transport. */
export class ApiFailure extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly details: unknown,
  ) {
    super(message);
  }
}

function asFailure(e: unknown): ApiFailure {
  if (e instanceof ApiFailure) return e;
  if (e && typeof e === "object" && "code" in e && "message" in e) {
    const err = e as { code: string; message: string; details?: unknown };
    return new ApiFailure(err.code, err.message, err.details ?? null);
  }
  return new ApiFailure("unreachable", String(e), null);
}

function desktopTransport(): Transport {
  return {
    kind: "desktop",
    async request(request) {
      const { invoke } = await import("@tauri-apps/api/core");
      try {
        return await invoke("app_request", { request });
      } catch (e) {
        throw asFailure(e);
      }
    },
    async upload() {
      throw new ApiFailure("invalid_input", "the desktop app reads files by their path", null);
    },
    download() {},
    subscribe(_token, onEvent) {
      let stop: (() => void) | undefined;
      let stopped = false;
      import("@tauri-apps/api/event").then(({ listen }) =>
        listen<AppEvent>("br-event", (e) => onEvent(e.payload)).then((unlisten) => {
          if (stopped) unlisten();
          else stop = unlisten;
        }),
      );
      return () => {
        stopped = true;
        stop?.();
      };
    },
  };
}

function browserTransport(base: string): Transport {
  return {
    kind: "browser",
    async request(request) {
      let response: Response;
      try {
        response = await fetch(`${base}/api/app`, {
          method: "POST",
          headers: { "Content-Type": "application/json" },
          body: JSON.stringify(request),
        });
      } catch (e) {
        throw new ApiFailure("unreachable", String(e), null);
      }
      const body = await response.json().catch(() => null);
      if (!response.ok) throw asFailure(body ?? { code: "internal", message: response.statusText });
      return body;
    },
    async upload(token, file) {
      let response: Response;
      try {
        response = await fetch(`${base}/api/upload?name=${encodeURIComponent(file.name)}`, {
          method: "POST",
          headers: { "Content-Type": "application/octet-stream", Authorization: `Bearer ${token}` },
          body: file,
        });
      } catch (e) {
        throw new ApiFailure("unreachable", String(e), null);
      }
      const body = await response.json().catch(() => null);
      if (!response.ok) throw asFailure(body ?? { code: "internal", message: response.statusText });
      return (body as { upload: string }).upload;
    },
    download(d) {
      // A link the browser follows: the file streams to its downloads, the id works once.
      const a = document.createElement("a");
      a.href = `${base}/api/download/${encodeURIComponent(d.id)}`;
      a.download = d.name;
      document.body.appendChild(a);
      a.click();
      a.remove();
    },
    subscribe(token, onEvent) {
      const source = new EventSource(`${base}/api/events?token=${encodeURIComponent(token)}`);
      source.addEventListener("br-event", (e) => onEvent(JSON.parse((e as MessageEvent).data) as AppEvent));
      return () => source.close();
    },
  };
}

/** Picks the transport once, at start-up: the desktop shell announces itself through Tauri's internals. */
export function detectTransport(): Transport {
  if (typeof window !== "undefined" && "__TAURI_INTERNALS__" in window) return desktopTransport();
  return browserTransport("");
}
