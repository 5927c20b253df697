import { Stack, Title } from "@mantine/core";
import { useTranslation } from "react-i18next";
import { RegistrantList } from "../components/RegistrantList";

export function Households() {
  const { t } = useTranslation();
  return (
    <Stack>
      <Title order={2}>{t("nav.households")}</Title>
      <RegistrantList kind="group" />
    </Stack>
  );
}
