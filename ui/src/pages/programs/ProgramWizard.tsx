// The program wizard: basics, the eligibility rule with its live count, then a review before creating.
import { useState } from "react";
import { Button, Checkbox, Group, Modal, SegmentedControl, Stack, Stepper, Text, TextInput, Textarea } from "@mantine/core";
import { useTranslation } from "react-i18next";
import type { ProgramFields, RegistrantKind } from "../../api/bindings";
import { api } from "../../api/client";
import { navigate } from "../../app/route";
import { ErrorNote } from "../../components/ErrorNote";
import { RuleEditor } from "../../components/RuleEditor";
import { useAction } from "../../components/useAction";

const START: ProgramFields = {
  code: "",
  name: "",
  description: "",
  target: "individual",
  currency: "",
  eligibility_rule: "",
  auto_enrol: false,
};

export function ProgramWizard({ opened, onClose }: { opened: boolean; onClose: () => void }) {
  const { t } = useTranslation();
  const [step, setStep] = useState(0);
  const [f, setF] = useState<ProgramFields>(START);
  const [ruleOk, setRuleOk] = useState(true);
  const creating = useAction();
  const basicsDone = f.code.trim().length >= 2 && f.name.trim() !== "" && /^[A-Za-z]{3}$/.test(f.currency.trim());
  const close = () => {
    setStep(0);
    setF(START);
    onClose();
  };
  return (
    <Modal opened={opened} onClose={close} title={t("programs.new")} size="xl" closeButtonProps={{ "aria-label": t("common.cancel") }}>
      <Stepper active={step} onStepClick={setStep} allowNextStepsSelect={false}>
        <Stepper.Step label={t("programs.step_basics")}>
          <Stack mt="md">
            <Group grow>
              <TextInput label={t("programs.code")} description={t("programs.code_hint")} required value={f.code} onChange={(e) => setF({ ...f, code: e.currentTarget.value.toUpperCase() })} data-testid="program-code" />
              <TextInput label={t("programs.currency")} description={t("programs.currency_hint")} required maxLength={3} value={f.currency} onChange={(e) => setF({ ...f, currency: e.currentTarget.value.toUpperCase() })} data-testid="program-currency" />
            </Group>
            <TextInput label={t("programs.name")} required value={f.name} onChange={(e) => setF({ ...f, name: e.currentTarget.value })} data-testid="program-name" />
            <Textarea label={t("programs.description")} value={f.description} onChange={(e) => setF({ ...f, description: e.currentTarget.value })} />
            <div>
              <Text size="sm" fw={500}>
                {t("programs.target")}
              </Text>
              <SegmentedControl
                value={f.target}
                onChange={(v) => setF({ ...f, target: v as RegistrantKind })}
                data={[
                  { value: "individual", label: t("programs.target_individual") },
                  { value: "group", label: t("programs.target_group") },
                ]}
              />
            </div>
          </Stack>
        </Stepper.Step>
        <Stepper.Step label={t("programs.step_rule")}>
          <Stack mt="md">
            <Text size="sm">{t("programs.rule_hint")}</Text>
            <RuleEditor label={t("programs.rule")} value={f.eligibility_rule} onChange={(v) => setF({ ...f, eligibility_rule: v })} target={f.target} onValidity={setRuleOk} />
            <Checkbox label={t("programs.auto_enrol")} checked={f.auto_enrol} onChange={(e) => setF({ ...f, auto_enrol: e.currentTarget.checked })} />
          </Stack>
        </Stepper.Step>
        <Stepper.Step label={t("programs.step_review")}>
          <Stack mt="md" gap={4}>
            <Text>
              <b>{f.code}</b> · {f.name} · {f.currency} · {f.target === "group" ? t("programs.target_group") : t("programs.target_individual")}
            </Text>
            <Text size="sm" ff="monospace">
              {f.eligibility_rule.trim() || t("programs.rule_everyone")}
            </Text>
            <Text size="sm" c="dimmed">
              {t("programs.created_as_draft")}
            </Text>
            <ErrorNote error={creating.error} />
          </Stack>
        </Stepper.Step>
      </Stepper>
      <Group justify="flex-end" mt="lg">
        {step > 0 && (
          <Button variant="default" onClick={() => setStep(step - 1)}>
            {t("common.back")}
          </Button>
        )}
        {step < 2 ? (
          <Button disabled={step === 0 ? !basicsDone : !ruleOk} onClick={() => setStep(step + 1)} data-testid="wizard-next">
            {t("common.next")}
          </Button>
        ) : (
          <Button
            loading={creating.busy}
            data-testid="program-create"
            onClick={() =>
              void creating.run(async () => {
                const p = await api.call("programs.create", { fields: f });
                close();
                navigate({ page: "program", code: p.code });
              })
            }
          >
            {t("programs.create")}
          </Button>
        )}
      </Group>
    </Modal>
  );
}
