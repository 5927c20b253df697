import { useState } from "react";
import { Button, Group, Stack, Title } from "@mantine/core";
import { useTranslation } from "react-i18next";
import { useSession } from "../app/session";
import { RegisterHousehold } from "../components/Register";
import { RegistrantList } from "../components/RegistrantList";

export function Households() {
  const { t } = useTranslation();
  const { can } = useSession();
  const [registering, setRegistering] = useState(false);
  return (
    <Stack>
      <Group justify="space-between">
        <Title order={2}>{t("nav.households")}</Title>
        {can("registrant_write") && (
          <Button onClick={() => setRegistering(true)} data-testid="register-household">
            {t("edit.register_household")}
          </Button>
        )}
      </Group>
      <RegistrantList kind="group" />
      <RegisterHousehold opened={registering} onClose={() => setRegistering(false)} />
    </Stack>
  );
}
