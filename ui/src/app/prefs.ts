// Preferences of this machine's user, kept in the browser's storage: never registry data.
export type Language = "en" | "fr" | "ar";

export const LANGUAGES: { code: Language; label: string; dir: "ltr" | "rtl" }[] = [
  { code: "en", label: "English", dir: "ltr" },
  { code: "fr", label: "Français", dir: "ltr" },
  { code: "ar", label: "العربية", dir: "rtl" },
];

const KEYS = {
  language: "br.language",
  lockMinutes: "br.lockMinutes",
  columns: "br.columns",
  filters: "br.filters",
} as const;

export const DEFAULT_LOCK_MINUTES = 10;
/** The server ends a session after an hour without requests (`SESSION_IDLE_LIMIT`): the lock comes first. */
export const MAX_LOCK_MINUTES = 60;

function read(key: string): string | null {
  try {
    return localStorage.getItem(key);
  } catch {
    return null;
  }
}

function write(key: string, value: string) {
  try {
    localStorage.setItem(key, value);
  } catch {
    // Private windows may refuse storage; the preference then lasts for this visit only.
  }
}

export function directionOf(language: string): "ltr" | "rtl" {
  return LANGUAGES.find((l) => l.code === language)?.dir ?? "ltr";
}

export const prefs = {
  language(): Language {
    const stored = read(KEYS.language);
    return LANGUAGES.some((l) => l.code === stored) ? (stored as Language) : "en";
  },
  setLanguage(language: Language) {
    write(KEYS.language, language);
  },
  lockMinutes(): number {
    const n = Number(read(KEYS.lockMinutes));
    return Number.isFinite(n) && n >= 1 && n <= MAX_LOCK_MINUTES ? Math.round(n) : DEFAULT_LOCK_MINUTES;
  },
  setLockMinutes(minutes: number) {
    write(KEYS.lockMinutes, String(Math.min(MAX_LOCK_MINUTES, Math.max(1, Math.round(minutes)))));
  },
  json<T>(key: keyof typeof KEYS, fallback: T): T {
    const raw = read(KEYS[key]);
    if (!raw) return fallback;
    try {
      return { ...fallback, ...JSON.parse(raw) };
    } catch {
      return fallback;
    }
  },
  setJson(key: keyof typeof KEYS, value: unknown) {
    write(KEYS[key], JSON.stringify(value));
  },
};
