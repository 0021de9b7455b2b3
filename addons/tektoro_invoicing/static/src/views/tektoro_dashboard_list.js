import { Component, onWillStart, onWillUpdateProps, useState } from "@odoo/owl";
import { registry } from "@web/core/registry";
import { useService } from "@web/core/utils/hooks";
import { formatMonetary } from "@web/views/fields/formatters";
import { listView } from "@web/views/list/list_view";
import { ListRenderer } from "@web/views/list/list_renderer";

/**
 * Summary figures above a list of master or client invoices: invoice count, total amount and
 * client count of every record matching the list's current domain (action domain + search), so
 * they follow the filters the way purchase's dashboard header sits above its list.
 */
export class TektoroInvoiceDashboard extends Component {
    static template = "tektoro_invoicing.InvoiceDashboard";
    static props = {
        resModel: String,
        domain: Array,
        reloadKey: String,
    };

    setup() {
        this.orm = useService("orm");
        this.state = useState({ figures: null });
        onWillStart(() => this.load(this.props));
        onWillUpdateProps((nextProps) => {
            if (nextProps.reloadKey !== this.props.reloadKey) {
                return this.load(nextProps);
            }
        });
    }

    async load(props) {
        this.state.figures = await this.orm.call(props.resModel, "retrieve_dashboard", [], {
            domain: props.domain,
        });
    }

    get amountTotal() {
        const figures = this.state.figures;
        return formatMonetary(figures.amount_total, { currencyId: figures.currency_id });
    }
}

export class TektoroInvoiceDashboardRenderer extends ListRenderer {
    static template = "tektoro_invoicing.InvoiceDashboardListRenderer";
    static components = { ...ListRenderer.components, TektoroInvoiceDashboard };

    /** Changes whenever the figures may have: another search, or records that moved. */
    get dashboardReloadKey() {
        const list = this.props.list;
        const rows = list.isGrouped
            ? list.groups.map((group) => [group.displayName, group.count])
            : list.records.map((record) => [record.resId, record.data.state, record.data.amount_total]);
        return JSON.stringify([list.domain, list.count, rows]);
    }
}

export const tektoroInvoiceDashboardListView = {
    ...listView,
    Renderer: TektoroInvoiceDashboardRenderer,
};

registry.category("views").add("tektoro_invoice_dashboard_list", tektoroInvoiceDashboardListView);
