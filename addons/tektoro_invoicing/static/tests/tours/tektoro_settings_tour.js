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

registry.category("web_tour.tours").add("tektoro_manager_settings_tour", {
    steps: () => [
        {
            content: "Open TekToro's Configuration menu",
            trigger: ".o_menu_sections button[data-menu-xmlid='tektoro_invoicing.menu_configuration']",
            run: "click",
        },
        {
            content: "Open the settings",
            trigger: ".dropdown-item[data-menu-xmlid='tektoro_invoicing.tektoro_company_settings_menu']",
            run: "click",
        },
        {
            content: "The dialog shows the company's settings, without the billing connection",
            trigger: ".modal:not(:has(div[name='tektoro_billing_url'])) div[name='tektoro_invoice_prefix'] input:value(TFT)",
        },
        {
            content: "Change the invoice prefix",
            trigger: ".modal div[name='tektoro_invoice_prefix'] input",
            run: "edit MGR",
        },
        {
            content: "Turn work-order invoices on",
            trigger: ".modal div[name='tektoro_invoices_enabled'] input[type='checkbox']",
            run: "click",
        },
        {
            content: "Save",
            trigger: ".modal button[name='action_save']",
            run: "click",
        },
        {
            content: "Saved: the page reloads with the Work-Order Invoices menu",
            trigger: "body:not(:has(.modal)) .o_menu_sections button[data-menu-xmlid='tektoro_invoicing.menu_invoicing']",
            run: "click",
        },
        {
            content: "The Work-Order Invoices menu is there",
            trigger: ".dropdown-item[data-menu-xmlid='tektoro_invoicing.tektoro_invoice_menu']",
        },
        {
            content: "Close the Invoicing menu",
            trigger: ".o_menu_sections button[data-menu-xmlid='tektoro_invoicing.menu_invoicing']",
            run: "click",
        },
        {
            content: "Open TekToro's Configuration menu again",
            trigger: ".o_menu_sections button[data-menu-xmlid='tektoro_invoicing.menu_configuration']",
            run: "click",
        },
        {
            content: "Open the settings again",
            trigger: ".dropdown-item[data-menu-xmlid='tektoro_invoicing.tektoro_company_settings_menu']",
            run: "click",
        },
        {
            content: "The dialog opens on the saved prefix",
            trigger: ".modal div[name='tektoro_invoice_prefix'] input:value(MGR)",
        },
        {
            content: "Change the default tax rate only",
            trigger: ".modal div[name='tektoro_default_tax_rate'] input",
            run: "edit 8.875",
        },
        {
            content: "Save again",
            trigger: ".modal button[name='action_save']",
            run: "click",
        },
        {
            content: "Saved without a reload: the dialog closes on a notification",
            trigger: "body:not(:has(.modal)) .o_notification:contains(are saved)",
        },
    ],
});
