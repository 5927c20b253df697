import i18n from "i18next";
import { initReactI18next } from "react-i18next";
import { prefs } from "../app/prefs";
import { ar } from "./ar";
import { en } from "./en";
import { fr } from "./fr";

export const resources = { en: { translation: en }, fr: { translation: fr }, ar: { translation: ar } };

export function initI18n(language = prefs.language()) {
  void i18n.use(initReactI18next).init({
    resources,
    lng: language,
    fallbackLng: "en",
    interpolation: { escapeValue: false },
  });
  return i18n;
}
