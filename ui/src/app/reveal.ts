// Whether the lists show personal data: kept while moving between pages, and taken by a record opened from
// a list, so a person who revealed names in the list does not meet masks on the record (each reveal is
// still audited by the registry). Hidden again whenever the registry locks.
import { useSyncExternalStore } from "react";

let shown = false;
const listeners = new Set<() => void>();

function set(value: boolean) {
  if (shown === value) return;
  shown = value;
  for (const l of listeners) l();
}

export function hidePersonalData() {
  set(false);
}

export function useRevealed(): [boolean, (value: boolean) => void] {
  const value = useSyncExternalStore(
    (changed) => {
      listeners.add(changed);
      return () => listeners.delete(changed);
    },
    () => shown,
  );
  return [value, set];
}
