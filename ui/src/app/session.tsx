// Who is logged in, whether the app is locked, and the event stream that keeps the caches fresh.
import { hidePersonalData } from "./reveal";
import { createContext, useCallback, useContext, useEffect, useMemo, useRef, useState, type ReactNode } from "react";
import { useQueryClient } from "@tanstack/react-query";
import type { AppEvent, AppStatus, LoginResponse, Permission, Progress } from "../api/bindings";
import { api, type CreateRegistryInput } from "../api/client";
import { prefs } from "./prefs";

interface SessionState {
  status: AppStatus | null;
  login: LoginResponse | null;
  /** Set when the idle timer (or the user) locked the app: the login screen says so. */
  lockedByIdle: boolean;
  refreshStatus(): Promise<void>;
  create(input: CreateRegistryInput): Promise<void>;
  unlock(passphrase: string): Promise<void>;
  restore(folder: string, passphrase: string): Promise<void>;
  logIn(username: string, password: string): Promise<void>;
  lock(): Promise<void>;
  logOut(): Promise<void>;
  can(permission: Permission): boolean;
  /** The latest progress of long work this session started, by command. */
  progress: Record<string, Progress | undefined>;
}

const SessionContext = createContext<SessionState | null>(null);

const ACTIVITY_EVENTS = ["pointerdown", "keydown", "wheel", "touchstart", "mousemove"] as const;
const KEEP_ALIVE_MS = 5 * 60_000;

export function SessionProvider({ children }: { children: ReactNode }) {
  const queryClient = useQueryClient();
  const [status, setStatus] = useState<AppStatus | null>(null);
  const [login, setLogin] = useState<LoginResponse | null>(null);
  const [lockedByIdle, setLockedByIdle] = useState(false);
  const [progress, setProgress] = useState<Record<string, Progress | undefined>>({});

  const refreshStatus = useCallback(async () => setStatus(await api.status()), []);
  useEffect(() => {
    refreshStatus().catch(() => setStatus(null));
  }, [refreshStatus]);

  const endSession = useCallback(
    async (byIdle: boolean) => {
      await api.logout().catch(() => undefined);
      // Nothing of the registry stays in memory or on screen once locked.
      queryClient.clear();
      hidePersonalData();
      setProgress({});
      setLogin(null);
      setLockedByIdle(byIdle);
    },
    [queryClient],
  );

  // Events: changed data sets refetch, progress goes to whoever shows it.
  useEffect(() => {
    if (!login) return;
    return api.subscribe((event: AppEvent) => {
      if (event.event === "changed") {
        for (const set of event.sets) queryClient.invalidateQueries({ queryKey: [set] });
        // What waits for the person draws on cycles, funds, payments, duplicates and conflicts alike.
        queryClient.invalidateQueries({ queryKey: ["work"] });
      } else if (event.event === "progress") {
        setProgress((p) => ({ ...p, [event.command]: event.progress }));
      } else if (event.event === "status") {
        setStatus(event.status);
      }
    });
  }, [login, queryClient]);

  // The idle lock: any input resets the timer; the time is a preference of this machine.
  const lastActivity = useRef(Date.now());
  const lastKeepAlive = useRef(Date.now());
  useEffect(() => {
    if (!login) return;
    const touch = () => (lastActivity.current = Date.now());
    touch();
    ACTIVITY_EVENTS.forEach((e) => window.addEventListener(e, touch, { passive: true }));
    const timer = window.setInterval(() => {
      const now = Date.now();
      if (now - lastActivity.current > prefs.lockMinutes() * 60_000) void endSession(true);
      // The server ends sessions that send nothing for an hour; someone reading a page is still here.
      else if (now - lastActivity.current < KEEP_ALIVE_MS && now - lastKeepAlive.current > KEEP_ALIVE_MS) {
        lastKeepAlive.current = now;
        api.call("session.info", {}).catch(() => undefined);
      }
    }, 5_000);
    return () => {
      ACTIVITY_EVENTS.forEach((e) => window.removeEventListener(e, touch));
      window.clearInterval(timer);
    };
  }, [login, endSession]);

  const value = useMemo<SessionState>(
    () => ({
      status,
      login,
      lockedByIdle,
      progress,
      refreshStatus,
      async create(input) {
        const l = await api.create(input);
        setLogin(l);
        setStatus(await api.status());
      },
      async unlock(passphrase) {
        setStatus(await api.unlock(passphrase));
      },
      async restore(folder, passphrase) {
        setStatus(await api.restore(folder, passphrase));
      },
      async logIn(username, password) {
        setLogin(await api.login(username, password));
        setLockedByIdle(false);
      },
      lock: () => endSession(true),
      logOut: () => endSession(false),
      can: (permission) => login?.session.permissions.includes(permission) ?? false,
    }),
    [status, login, lockedByIdle, progress, refreshStatus, endSession],
  );
  return <SessionContext.Provider value={value}>{children}</SessionContext.Provider>;
}

export function useSession(): SessionState {
  const s = useContext(SessionContext);
  if (!s) throw new Error("useSession outside SessionProvider");
  return s;
}
