// The app's pages live in the URL's hash, so reloads and the browser's back button keep their place in
// both the desktop window and `br serve`.
import { useSyncExternalStore } from "react";

export type Route =
  | { page: "home" }
  | { page: "beneficiaries"; query?: string }
  | { page: "beneficiary"; reference: string }
  | { page: "households" }
  | { page: "import" }
  | { page: "programs" }
  | { page: "program"; code: string; tab?: string; state?: string }
  // `show`: the entitlements listed first, an entitlement state or `no_address` (cash nobody can be paid).
  | { page: "cycle"; id: string; show?: string }
  | { page: "vouchers"; cycle: string }
  | { page: "duplicates"; program?: string }
  | { page: "settings"; tab?: string }
  | { page: "audit"; entityId?: string }
  | { page: "conflicts" };

export function parseRoute(hash: string): Route {
  const [path, search = ""] = hash.replace(/^#\/?/, "").split("?");
  const params = new URLSearchParams(search);
  const [page, arg] = path.split("/").map(decodeURIComponent);
  switch (page) {
    case "beneficiaries":
      return arg ? { page: "beneficiary", reference: arg } : { page: "beneficiaries", query: params.get("q") ?? undefined };
    case "households":
      return arg ? { page: "beneficiary", reference: arg } : { page: "households" };
    case "import":
      return { page: "import" };
    case "programs": {
      const tab = path.split("/")[2];
      const state = params.get("state");
      return arg ? { page: "program", code: arg, ...(tab ? { tab } : {}), ...(state ? { state } : {}) } : { page: "programs" };
    }
    case "cycles": {
      const rest = path.split("/")[2];
      if (arg && rest === "vouchers") return { page: "vouchers", cycle: arg };
      const show = params.get("show");
      return arg ? { page: "cycle", id: arg, ...(show ? { show } : {}) } : { page: "programs" };
    }
    case "duplicates":
      return { page: "duplicates", program: params.get("program") ?? undefined };
    case "settings":
      return { page: "settings", tab: arg };
    case "audit":
      return { page: "audit", entityId: params.get("entity") ?? undefined };
    case "conflicts":
      return { page: "conflicts" };
    default:
      return { page: "home" };
  }
}

export function hrefOf(route: Route): string {
  switch (route.page) {
    case "home":
      return "#/";
    case "beneficiaries":
      return route.query ? `#/beneficiaries?q=${encodeURIComponent(route.query)}` : "#/beneficiaries";
    case "beneficiary":
      return `#/beneficiaries/${encodeURIComponent(route.reference)}`;
    case "households":
      return "#/households";
    case "import":
      return "#/import";
    case "programs":
      return "#/programs";
    case "program":
      return `#/programs/${encodeURIComponent(route.code)}${route.tab ? `/${route.tab}` : ""}${route.state ? `?state=${encodeURIComponent(route.state)}` : ""}`;
    case "cycle":
      return `#/cycles/${encodeURIComponent(route.id)}${route.show ? `?show=${encodeURIComponent(route.show)}` : ""}`;
    case "vouchers":
      return `#/cycles/${encodeURIComponent(route.cycle)}/vouchers`;
    case "duplicates":
      return route.program ? `#/duplicates?program=${encodeURIComponent(route.program)}` : "#/duplicates";
    case "settings":
      return route.tab ? `#/settings/${route.tab}` : "#/settings";
    case "audit":
      return route.entityId ? `#/audit?entity=${encodeURIComponent(route.entityId)}` : "#/audit";
    case "conflicts":
      return "#/conflicts";
  }
}

/** Goes to `route`; `replace` puts it in place of the current history entry, so Back skips the page left. */
export function navigate(route: Route, { replace = false }: { replace?: boolean } = {}) {
  if (replace) window.location.replace(hrefOf(route));
  else window.location.hash = hrefOf(route);
}

function subscribe(onChange: () => void) {
  window.addEventListener("hashchange", onChange);
  return () => window.removeEventListener("hashchange", onChange);
}

export function useRoute(): Route {
  const hash = useSyncExternalStore(subscribe, () => window.location.hash);
  return parseRoute(hash);
}
