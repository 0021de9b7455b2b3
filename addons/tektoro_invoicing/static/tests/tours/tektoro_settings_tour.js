import { registry } from "@web/core/registry";

registry.category("web_tour.tours").add("tektoro_settings_tour", {
    steps: () => [
        {
            content: "The TekToro settings page is open",
            trigger: ".app_settings_block[data-key='tektoro_invoicing'], .app_settings_block h2:contains('Work-Order Invoices')",
        },
        {
            content: "Change the invoice prefix",
            trigger: "#tektoro_invoice_prefix_setting input",
            run: "edit ACME",
        },
        {
            content: "Turn work-order invoices on",
            trigger: "#tektoro_invoices_enabled_setting input[type='checkbox']",
            run: "click",
        },
        {
            content: "Save",
            trigger: ".o_control_panel .o_form_button_save, button[name='execute']",
            run: "click",
        },
        {
            content: "Saved: the page reloads with the new prefix",
            // Not dirty: the typed value alone would match before the save round trip ends.
            trigger: ".o_form_renderer:not(.o_form_dirty) #tektoro_invoice_prefix_setting input:value(ACME)",
        },
    ],
});
