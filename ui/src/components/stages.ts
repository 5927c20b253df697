// A program with no approval stages of its own is decided in one stage the registry names "Approval";
// shown in the reader's language like the rest of the page. A stage an office named is shown as named.
import type { TFunction } from "i18next";

const REGISTRY_DEFAULT_STAGE = "Approval";

export function stageName(t: TFunction, name: string): string {
  return name === REGISTRY_DEFAULT_STAGE ? t("cycle.default_stage") : name;
}
