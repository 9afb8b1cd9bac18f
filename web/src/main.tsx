import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import "sonner/dist/styles.css";
import "./index.css";
import "./i18n";
import { App } from "./app/App";

const container = document.getElementById("root");
if (!container) throw new Error("VaultRoom: #root element is missing from index.html");

createRoot(container).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
