import { useState } from "react";
import { Alert, Button, PasswordInput, Text } from "@mantine/core";
import { useTranslation } from "react-i18next";
import type { AppStatus } from "../api/bindings";
import { useSession } from "../app/session";
import { AuthFrame } from "../components/AuthFrame";
import { ErrorNote } from "../components/ErrorNote";
import { useAction } from "../components/useAction";

/** The registry's key is not in this computer's credential store: the recovery passphrase opens it. */
export function Unlock({ status }: { status: Extract<AppStatus, { state: "needs_passphrase" }> }) {
  const { t } = useTranslation();
  const { unlock } = useSession();
  const [passphrase, setPassphrase] = useState("");
  const { busy, error, run } = useAction();
  return (
    <AuthFrame title={t("unlock.title")} subtitle={status.folder}>
      <Alert color="yellow">{t("unlock.why")}</Alert>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          void run(() => unlock(passphrase));
        }}
      >
        <PasswordInput label={t("unlock.passphrase")} value={passphrase} onChange={(e) => setPassphrase(e.currentTarget.value)} required autoFocus mb="md" />
        <ErrorNote error={error} />
        <Button type="submit" fullWidth loading={busy} mt="md">
          {t("unlock.submit")}
        </Button>
        <Text size="xs" c="dimmed" mt="sm">
          {t("unlock.hint")}
        </Text>
      </form>
    </AuthFrame>
  );
}
