import { Select } from "@mantine/core";
import { useTranslation } from "react-i18next";
import { LANGUAGES, prefs, type Language } from "../app/prefs";

/** Switches the UI's language (and with Arabic its direction), remembered on this machine. */
export function LanguageSelect({ width, label }: { width?: number; label?: string }) {
  const { t, i18n } = useTranslation();
  return (
    <Select
      w={width}
      label={label}
      aria-label={label ? undefined : t("settings.language")}
      data={LANGUAGES.map((l) => ({ value: l.code, label: l.label }))}
      value={i18n.language}
      allowDeselect={false}
      data-testid="language-select"
      onChange={(v) => {
        if (!v) return;
        prefs.setLanguage(v as Language);
        void i18n.changeLanguage(v);
      }}
    />
  );
}
