import { Alert } from "@mantine/core";
import { IconAlertCircle } from "@tabler/icons-react";
import { useTranslation } from "react-i18next";
import { errorMessage } from "../api/errors";

/** An API error, translated, with what to do next. */
export function ErrorNote({ error }: { error: unknown }) {
  const { t } = useTranslation();
  if (!error) return null;
  return (
    <Alert color="red" icon={<IconAlertCircle />} role="alert" title={t("common.error_title")}>
      {errorMessage(t, error)}
    </Alert>
  );
}
