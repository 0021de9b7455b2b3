import { registry } from "@web/core/registry";

registry.category("web_tour.tours").add("tektoro_work_order_invoice_tour", {
    steps: () => [
        {
            content: "The work order is in progress",
            trigger: ".o_form_view .o_statusbar_status button[aria-checked='true']:contains('In Progress')",
        },
        {
            content: "Complete the work order",
            trigger: ".o_form_view .o_statusbar_buttons button[name='action_complete']",
            run: "click",
        },
        {
            content: "It is completed",
            trigger: ".o_form_view .o_statusbar_status button[aria-checked='true']:contains('Completed')",
        },
        {
            content: "Create the invoice",
            trigger: ".o_form_view .o_statusbar_buttons button[name='action_open_create_invoice_wizard']",
            run: "click",
        },
        {
            content: "The dialog includes the unit price by default",
            trigger: ".modal div[name='include_unit_price'] input[type='checkbox']:checked",
        },
        {
            content: "Leave the unit price out",
            trigger: ".modal div[name='include_unit_price'] input[type='checkbox']",
            run: "click",
        },
        {
            content: "The toggle is off",
            trigger: ".modal div[name='include_unit_price'] input[type='checkbox']:not(:checked)",
        },
        {
            content: "Create it",
            trigger: ".modal .modal-footer button[name='action_create_invoice']",
            run: "click",
        },
        {
            content: "The invoice is sent",
            trigger: ".o_form_view .o_statusbar_status button[aria-checked='true']:contains('Sent')",
        },
        {
            content: "It is synced with the billing system",
            trigger: ".o_form_view div[name='billing_state']:contains('Synced')",
        },
        {
            content: "Without the unit price",
            trigger: ".o_form_view div[name='unit_subtotal']:contains('0.00')",
        },
        {
            content: "Cancel the invoice",
            trigger: ".o_form_view .o_statusbar_buttons button[name='action_cancel']",
            run: "click",
        },
        {
            content: "Confirm the cancellation",
            trigger: ".modal .modal-footer .btn-primary",
            run: "click",
        },
        {
            content: "It is cancelled",
            trigger: ".o_form_view .o_statusbar_status button[aria-checked='true']:contains('Cancelled')",
        },
    ],
});
