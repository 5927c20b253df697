// The typed client every page uses: `api.call("registrants.search", {...})` is checked against the
// operation map generated from the Rust types.
import type { AppEvent, AppStatus, CreateRegistryRequest, LoginResponse, Operations } from "./bindings";
import { detectTransport, type Transport } from "./transport";

export type OperationName = keyof Operations;
export type RequestOf<K extends OperationName> = Operations[K][0];
export type ResponseOf<K extends OperationName> = Operations[K][1];

export type CreateRegistryInput = CreateRegistryRequest;

export class Client {
  private token: string | null = null;

  constructor(readonly transport: Transport = detectTransport()) {}

  get loggedIn(): boolean {
    return this.token !== null;
  }

  status(): Promise<AppStatus> {
    return this.transport.request({ action: "status" }) as Promise<AppStatus>;
  }

  async create(input: CreateRegistryInput): Promise<LoginResponse> {
    const login = (await this.transport.request({ action: "create", ...input })) as LoginResponse;
    this.token = login.token;
    return login;
  }

  unlock(passphrase: string): Promise<AppStatus> {
    return this.transport.request({ action: "unlock", passphrase }) as Promise<AppStatus>;
  }

  restore(backup_folder: string, passphrase: string): Promise<AppStatus> {
    return this.transport.request({ action: "restore", backup_folder, passphrase }) as Promise<AppStatus>;
  }

  async login(username: string, password: string): Promise<LoginResponse> {
    const login = (await this.transport.request({ action: "login", username, password })) as LoginResponse;
    this.token = login.token;
    return login;
  }

  /** Ends the session on the backend too: a locked app holds no key to the registry. */
  async logout(): Promise<void> {
    const token = this.token;
    this.token = null;
    if (token) await this.transport.request({ action: "logout", token });
  }

  async cancel(): Promise<void> {
    if (this.token) await this.transport.request({ action: "cancel", token: this.token });
  }

  call<K extends OperationName>(command: K, payload: RequestOf<K>): Promise<ResponseOf<K>> {
    if (!this.token) return Promise.reject(new Error("not logged in"));
    return this.transport.request({ action: "call", token: this.token, command, payload: payload as never }) as Promise<
      ResponseOf<K>
    >;
  }

  /** Sends a file up for this session (a browser); resolves to its upload id. */
  upload(file: File): Promise<string> {
    if (!this.token) return Promise.reject(new Error("not logged in"));
    return this.transport.upload(this.token, file);
  }

  subscribe(onEvent: (event: AppEvent) => void): () => void {
    if (!this.token) return () => {};
    return this.transport.subscribe(this.token, onEvent);
  }
}

export const api = new Client();
