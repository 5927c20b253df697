import { Stack, Title } from "@mantine/core";
import { useTranslation } from "react-i18next";
import { RegistrantList } from "../components/RegistrantList";

export function Beneficiaries({ initialQuery }: { initialQuery?: string }) {
  const { t } = useTranslation();
  return (
    <Stack>
      <Title order={2}>{t("nav.beneficiaries")}</Title>
      <RegistrantList kind="individual" initialQuery={initialQuery} />
    </Stack>
  );
}
