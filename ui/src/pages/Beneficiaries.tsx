import { useState } from "react";
import { Button, Group, Stack, Title } from "@mantine/core";
import { useTranslation } from "react-i18next";
import { useSession } from "../app/session";
import { RegisterPerson } from "../components/Register";
import { RegistrantList } from "../components/RegistrantList";

export function Beneficiaries({ initialQuery }: { initialQuery?: string }) {
  const { t } = useTranslation();
  const { can } = useSession();
  const [registering, setRegistering] = useState(false);
  return (
    <Stack>
      <Group justify="space-between">
        <Title order={2}>{t("nav.beneficiaries")}</Title>
        {can("registrant_write") && (
          <Button onClick={() => setRegistering(true)} data-testid="register-person">
            {t("edit.register_person")}
          </Button>
        )}
      </Group>
      <RegistrantList kind="individual" initialQuery={initialQuery} />
      <RegisterPerson opened={registering} onClose={() => setRegistering(false)} />
    </Stack>
  );
}
