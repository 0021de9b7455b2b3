import { registry } from "@web/core/registry";

const tours = registry.category("web_tour.tours");

function openRecord(name) {
    return {
        content: `Open ${name}`,
        trigger: `.o_data_row td.o_data_cell:contains(${name})`,
        run: "click",
    };
}

function statusIs(label) {
    return {
        content: `The invoice is ${label}`,
        trigger: `.o_statusbar_status .o_arrow_button_current:contains(${label})`,
    };
}

function review(decision, message) {
    return [
        {
            content: `${decision} the invoice`,
            trigger: `.o_form_view .o_statusbar_buttons button[name=action_open_review_wizard]:contains(${decision})`,
            run: "click",
        },
        {
            content: "Write the message to the contractor",
            trigger: ".modal .o_field_widget[name=message] textarea",
            run: `edit ${message}`,
        },
        {
            content: "Confirm",
            trigger: `.modal-footer button[name=action_confirm]:contains(${decision})`,
            run: "click",
        },
        {
            content: "The dialog closes",
            trigger: "body:not(:has(.modal))",
        },
    ];
}

tours.add("tektoro_master_invoice_create_submit_tour", {
    steps: () => [
        {
            content: "Create an invoice",
            trigger: ".o_control_panel button:contains(Create Invoice)",
            run: "click",
        },
        {
            content: "Period start",
            trigger: ".modal .o_field_widget[name=date_from] input",
            run: "edit 01/01/2020",
        },
        {
            content: "Period end",
            trigger: ".modal .o_field_widget[name=date_to] input",
            run: "edit 01/31/2020",
        },
        {
            content: "Bundle the approved tickets",
            trigger: ".modal-footer button[name=action_create]",
            run: "click",
        },
        {
            content: "The invoice is numbered after the contractor",
            trigger: ".o_form_view .o_field_widget[name=name]:contains(TC-MINV-001)",
        },
        {
            content: "Both approved tickets are on it",
            trigger: ".o_form_view .o_field_widget[name=ticket_count]:contains(2)",
        },
        {
            content: "It shows the period it covers",
            trigger:
                ".o_form_view .o_field_daterange[name=date_from]:contains(01/01/2020):contains(01/31/2020)",
        },
        {
            content: "No client was chosen: it says it covers them all",
            trigger: ".o_form_view div[name=client_filter]:contains(All clients)",
        },
        {
            content: "Submit it",
            trigger: ".o_form_view .o_statusbar_buttons button[name=action_submit]",
            run: "click",
        },
        statusIs("Submitted"),
    ],
});

tours.add("tektoro_master_invoice_approve_tour", {
    steps: () => [
        openRecord("TC-MINV-001"),
        ...review("Approve", "Thanks, nice work."),
        statusIs("Approved"),
    ],
});

tours.add("tektoro_master_invoice_reject_tour", {
    steps: () => [
        openRecord("TC-MINV-001"),
        ...review("Reject", "Day 2 is billed twice."),
        {
            content: "The reason shows on the invoice",
            trigger: ".o_form_view .alert-danger:contains(Day 2 is billed twice.)",
        },
    ],
});

tours.add("tektoro_master_invoice_resubmit_tour", {
    steps: () => [
        openRecord("TC-MINV-001"),
        {
            content: "The contractor reads why it was rejected",
            trigger: ".o_form_view .alert-danger:contains(Day 2 is billed twice.)",
        },
        {
            content: "Take the ticket of day 2 off",
            trigger: ".o_field_widget[name=ticket_ids] .o_data_row:contains(Tour work 2) button[name=action_remove_from_master_invoice]",
            run: "click",
        },
        {
            content: "Removing is asked first: Add New Tickets will not bring it back",
            trigger: ".modal:contains(Add New Tickets will leave it out) .modal-footer .btn-primary:contains(Remove)",
            run: "click",
        },
        {
            content: "One ticket left",
            trigger: ".o_form_view .o_field_widget[name=ticket_count]:contains(1)",
        },
        {
            content: "Submit again",
            trigger: ".o_form_view .o_statusbar_buttons button[name=action_submit]",
            run: "click",
        },
        statusIs("Submitted"),
    ],
});

tours.add("tektoro_client_invoice_generate_tour", {
    steps: () => [
        {
            content: "Generate client invoices",
            trigger: ".o_control_panel button:contains(Generate Client Invoices)",
            run: "click",
        },
        {
            content: "Period start",
            trigger: ".modal .o_field_widget[name=date_from] input",
            run: "edit 01/01/2020",
        },
        {
            content: "Period end",
            trigger: ".modal .o_field_widget[name=date_to] input",
            run: "edit 01/31/2020",
        },
        {
            content: "Generate",
            trigger: ".modal-footer button[name=action_generate]",
            run: "click",
        },
        {
            content: "One invoice for the first client",
            trigger: ".o_list_view .o_data_row:contains(Tour Client A):contains(150.00)",
        },
        {
            content: "One invoice for the second client",
            trigger: ".o_list_view .o_data_row:contains(Tour Client B):contains(50.00)",
        },
        {
            content: "The header sums them up",
            trigger: ".o_tektoro_metric_invoices .o_tektoro_metric_value:contains(2)",
        },
    ],
});

tours.add("tektoro_master_invoice_dashboard_tour", {
    steps: () => [
        {
            content: "The review page opens on the invoices awaiting review",
            trigger: ".o_searchview .o_facet_value:contains(Awaiting Review)",
        },
        {
            content: "Search the tour contractor",
            trigger: ".o_searchview_input",
            run: "edit Tina",
        },
        {
            content: "... as contractor",
            trigger: ".o_searchview_autocomplete .o_menu_item:contains(Contractor)",
            run: "click",
        },
        {
            content: "Two of her invoices await review",
            trigger: ".o_tektoro_metric_invoices .o_tektoro_metric_value:contains(2)",
        },
        {
            content: "Their total",
            trigger: ".o_tektoro_metric_amount .o_tektoro_metric_value:contains(150.00)",
        },
        {
            content: "For two clients",
            trigger: ".o_tektoro_metric_clients .o_tektoro_metric_value:contains(2)",
        },
        {
            content: "Drop the Awaiting Review filter",
            trigger: ".o_searchview .o_searchview_facet:contains(Awaiting Review) .o_facet_remove",
            run: "click",
        },
        {
            content: "Her draft counts too now",
            trigger: ".o_tektoro_metric_invoices .o_tektoro_metric_value:contains(3)",
        },
        {
            content: "And its amount",
            trigger: ".o_tektoro_metric_amount .o_tektoro_metric_value:contains(180.00)",
        },
    ],
});
