import { useState } from "react";
import { Alert, Button, PasswordInput, TextInput } from "@mantine/core";
import { IconLock } from "@tabler/icons-react";
import { useTranslation } from "react-i18next";
import type { AppStatus } from "../api/bindings";
import { api } from "../api/client";
import { useSession } from "../app/session";
import { AuthFrame } from "../components/AuthFrame";
import { ErrorNote } from "../components/ErrorNote";
import { useAction } from "../components/useAction";

export function Login({ status }: { status: Extract<AppStatus, { state: "ready" }> }) {
  const { t } = useTranslation();
  const { logIn, lockedByIdle } = useSession();
  const [username, setUsername] = useState("");
  const [password, setPassword] = useState("");
  const { busy, error, run } = useAction();
  return (
    <AuthFrame title={t("login.title")} subtitle={`${status.office_name} (${status.office_code})`}>
      {lockedByIdle && (
        <Alert icon={<IconLock />} color="gray" data-testid="locked-notice">
          {t("login.locked")}
        </Alert>
      )}
      {/* It concerns the computer that holds the registry: said on the desktop, and in br serve's own terminal
          for its operator, not to everyone who logs in from a browser. */}
      {status.credential_store_note && api.transport.kind === "desktop" && <Alert color="yellow">{t("login.no_credential_store")}</Alert>}
      <form
        onSubmit={async (e) => {
          e.preventDefault();
          if (!(await run(() => logIn(username.trim(), password)))) setPassword("");
        }}
      >
        <TextInput label={t("login.username")} value={username} onChange={(e) => setUsername(e.currentTarget.value)} required autoFocus autoComplete="username" mb="sm" />
        <PasswordInput label={t("login.password")} value={password} onChange={(e) => setPassword(e.currentTarget.value)} required autoComplete="current-password" mb="md" />
        <ErrorNote error={error} />
        <Button type="submit" fullWidth loading={busy} mt="md">
          {t("login.submit")}
        </Button>
      </form>
    </AuthFrame>
  );
}
