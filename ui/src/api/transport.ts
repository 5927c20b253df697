// How requests reach the registry: Tauri's IPC inside the desktop window, HTTP against `br serve` in a
// browser. Both carry the same AppRequest and deliver the same AppEvents.
import type { AppEvent, AppRequest } from "./bindings";

export interface Transport {
  readonly kind: "desktop" | "browser";
  request(request: AppRequest): Promise<unknown>;
  /** Starts delivering events for this session; returns a function that stops it. */
  subscribe(token: string, onEvent: (event: AppEvent) => void): () => void;
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
