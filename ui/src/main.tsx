import React from "react";
import ReactDOM from "react-dom/client";
import "@mantine/core/styles.css";
import "@mantine/charts/styles.css";
import "@mantine/notifications/styles.css";
import "./print.css";
import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { App } from "./app/App";
import { initI18n } from "./i18n";

const queryClient = new QueryClient({
  defaultOptions: {
    // The backend says when data changed (change events), so nothing refetches on a timer or on focus.
    queries: { staleTime: Infinity, refetchOnWindowFocus: false, retry: false },
  },
});

initI18n();

ReactDOM.createRoot(document.getElementById("root")!).render(
  <React.StrictMode>
    <QueryClientProvider client={queryClient}>
      <App />
    </QueryClientProvider>
  </React.StrictMode>,
);
