// The registry's privacy profile: chosen once when the registry is created, shown in Settings, and the
// import's note of what it did not keep.
import { Alert, Checkbox, Group, Button, Stack, Text } from "@mantine/core";
import type { TFunction } from "i18next";
import { useTranslation } from "react-i18next";
import type { DroppedFields, PrivacyProfile } from "../api/bindings";

export const KEEP_EVERYTHING: PrivacyProfile = { names: true, phone: true, birth_date: "date", id_values: "plain" };
export const KEEP_MINIMUM: PrivacyProfile = { names: false, phone: false, birth_date: "year", id_values: "keyed_hash" };

/** The kept fields in words, for Settings. */
export function privacyWords(t: TFunction, profile: PrivacyProfile): string {
  return [
    profile.names && t("privacy.kept_names"),
    profile.phone && t("privacy.kept_phone"),
    profile.birth_date === "date" ? t("privacy.kept_birth_date") : t("privacy.kept_birth_year"),
    profile.id_values === "plain" ? t("privacy.kept_id_numbers") : t("privacy.kept_id_hashes"),
  ]
    .filter(Boolean)
    .join(", ");
}

/** The choice at creation: four switches and two shortcuts. */
export function PrivacyChoice({ value, onChange }: { value: PrivacyProfile; onChange: (p: PrivacyProfile) => void }) {
  const { t } = useTranslation();
  return (
    <Stack gap="xs" mb="md" data-testid="privacy-choice">
      <Text fw={600}>{t("privacy.title")}</Text>
      <Text size="sm" c="dimmed">
        {t("privacy.hint")}
      </Text>
      <Checkbox label={t("privacy.names")} checked={value.names} onChange={(e) => onChange({ ...value, names: e.currentTarget.checked })} />
      <Checkbox label={t("privacy.phone")} checked={value.phone} onChange={(e) => onChange({ ...value, phone: e.currentTarget.checked })} />
      <Checkbox
        label={t("privacy.birth_date")}
        checked={value.birth_date === "date"}
        onChange={(e) => onChange({ ...value, birth_date: e.currentTarget.checked ? "date" : "year" })}
      />
      <Checkbox
        label={t("privacy.id_numbers")}
        checked={value.id_values === "plain"}
        onChange={(e) => onChange({ ...value, id_values: e.currentTarget.checked ? "plain" : "keyed_hash" })}
      />
      <Group gap="xs">
        <Button size="compact-sm" variant="default" onClick={() => onChange(KEEP_EVERYTHING)}>
          {t("privacy.everything")}
        </Button>
        <Button size="compact-sm" variant="default" onClick={() => onChange(KEEP_MINIMUM)}>
          {t("privacy.minimal")}
        </Button>
      </Group>
    </Stack>
  );
}

/** What an import did not keep, when it dropped anything. */
export function DroppedNote({ dropped }: { dropped: DroppedFields }) {
  const { t } = useTranslation();
  if (dropped.names + dropped.phone + dropped.birth_day + dropped.id_numbers === 0) return null;
  return (
    <Alert color="blue" data-testid="import-dropped">
      {t("privacy.import_dropped", dropped)}
    </Alert>
  );
}
