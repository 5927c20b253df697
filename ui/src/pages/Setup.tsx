// First run: create the office registry (office, admin account, recovery passphrase shown once and typed
// back), or restore a backup into this empty folder.
import { useMemo, useState } from "react";
import { Alert, Button, Code, Group, PasswordInput, SegmentedControl, Stepper, Text, TextInput } from "@mantine/core";
import { IconAlertTriangle } from "@tabler/icons-react";
import { useTranslation } from "react-i18next";
import { useSession } from "../app/session";
import { generatePassphrase, samePassphrase } from "../app/passphrase";
import { AuthFrame } from "../components/AuthFrame";
import type { PrivacyProfile } from "../api/bindings";
import { ErrorNote } from "../components/ErrorNote";
import { KEEP_EVERYTHING, PrivacyChoice } from "../components/Privacy";
import { FolderField } from "../components/PathField";
import { useAction } from "../components/useAction";

function CreateRegistry() {
  const { t } = useTranslation();
  const { create } = useSession();
  const [step, setStep] = useState(0);
  const [office, setOffice] = useState({ name: "", code: "" });
  const [privacy, setPrivacy] = useState<PrivacyProfile>(KEEP_EVERYTHING);
  const [admin, setAdmin] = useState({ username: "admin", name: "", password: "", confirm: "" });
  const passphrase = useMemo(() => generatePassphrase(), []);
  const [typedBack, setTypedBack] = useState("");
  const { busy, error, run } = useAction();

  const codeOk = /^[A-Z0-9]{2,8}$/.test(office.code);
  const officeOk = office.name.trim().length > 0 && codeOk;
  const adminOk = admin.username.trim().length >= 3 && admin.password.length >= 10 && admin.password === admin.confirm;

  return (
    <Stepper active={step} onStepClick={(s) => s < step && setStep(s)} size="sm" orientation="vertical">
      <Stepper.Step label={t("setup.step_office")}>
        <TextInput label={t("setup.office_name")} value={office.name} onChange={(e) => setOffice({ ...office, name: e.currentTarget.value })} required mb="sm" autoFocus />
        <TextInput
          label={t("setup.office_code")}
          description={t("setup.office_code_hint")}
          value={office.code}
          onChange={(e) => setOffice({ ...office, code: e.currentTarget.value.toUpperCase() })}
          error={office.code && !codeOk ? t("setup.office_code_hint") : undefined}
          required
          mb="md"
        />
        <PrivacyChoice value={privacy} onChange={setPrivacy} />
        <Button onClick={() => setStep(1)} disabled={!officeOk}>
          {t("common.next")}
        </Button>
      </Stepper.Step>
      <Stepper.Step label={t("setup.step_admin")}>
        <TextInput label={t("login.username")} value={admin.username} onChange={(e) => setAdmin({ ...admin, username: e.currentTarget.value })} required mb="sm" />
        <TextInput label={t("setup.admin_name")} value={admin.name} onChange={(e) => setAdmin({ ...admin, name: e.currentTarget.value })} mb="sm" />
        <PasswordInput label={t("login.password")} description={t("setup.password_hint")} value={admin.password} onChange={(e) => setAdmin({ ...admin, password: e.currentTarget.value })} required mb="sm" />
        <PasswordInput
          label={t("setup.password_confirm")}
          value={admin.confirm}
          onChange={(e) => setAdmin({ ...admin, confirm: e.currentTarget.value })}
          error={admin.confirm && admin.confirm !== admin.password ? t("setup.password_mismatch") : undefined}
          required
          mb="md"
        />
        <Group>
          <Button variant="default" onClick={() => setStep(0)}>
            {t("common.back")}
          </Button>
          <Button onClick={() => setStep(2)} disabled={!adminOk}>
            {t("common.next")}
          </Button>
        </Group>
      </Stepper.Step>
      <Stepper.Step label={t("setup.step_passphrase")}>
        <Alert color="yellow" icon={<IconAlertTriangle />} mb="sm">
          {t("setup.passphrase_warning")}
        </Alert>
        <Code block fz="lg" data-testid="recovery-passphrase" mb="sm">
          {passphrase}
        </Code>
        <TextInput
          label={t("setup.passphrase_confirm")}
          value={typedBack}
          onChange={(e) => setTypedBack(e.currentTarget.value)}
          error={typedBack && !samePassphrase(typedBack, passphrase) ? t("setup.passphrase_mismatch") : undefined}
          autoComplete="off"
          required
          mb="md"
        />
        <ErrorNote error={error} />
        <Group mt="md">
          <Button variant="default" onClick={() => setStep(1)}>
            {t("common.back")}
          </Button>
          <Button
            loading={busy}
            disabled={!samePassphrase(typedBack, passphrase)}
            onClick={() =>
              void run(() =>
                create({
                  office_code: office.code,
                  office_name: office.name.trim(),
                  admin_username: admin.username.trim(),
                  admin_display_name: admin.name.trim() || admin.username.trim(),
                  admin_password: admin.password,
                  recovery_passphrase: passphrase,
                  privacy,
                }),
              )
            }
          >
            {t("setup.create")}
          </Button>
        </Group>
      </Stepper.Step>
    </Stepper>
  );
}

function RestoreBackup() {
  const { t } = useTranslation();
  const { restore } = useSession();
  const [folder, setFolder] = useState("");
  const [passphrase, setPassphrase] = useState("");
  const { busy, error, run } = useAction();
  return (
    <form
      onSubmit={(e) => {
        e.preventDefault();
        void run(() => restore(folder, passphrase));
      }}
    >
      <Text size="sm" mb="sm">
        {t("setup.restore_hint")}
      </Text>
      <FolderField label={t("setup.backup_folder")} value={folder} onChange={setFolder} />
      <PasswordInput label={t("unlock.passphrase")} value={passphrase} onChange={(e) => setPassphrase(e.currentTarget.value)} required mt="sm" mb="md" />
      <ErrorNote error={error} />
      <Button type="submit" loading={busy} mt="md" disabled={!folder || !passphrase}>
        {t("setup.restore")}
      </Button>
    </form>
  );
}

export function Setup() {
  const { t } = useTranslation();
  const [mode, setMode] = useState<"create" | "restore">("create");
  return (
    <AuthFrame title={t("setup.title")} subtitle={t("setup.subtitle")} width={560}>
      <SegmentedControl
        value={mode}
        onChange={(v) => setMode(v as "create" | "restore")}
        data={[
          { value: "create", label: t("setup.mode_create") },
          { value: "restore", label: t("setup.mode_restore") },
        ]}
      />
      {mode === "create" ? <CreateRegistry /> : <RestoreBackup />}
    </AuthFrame>
  );
}
