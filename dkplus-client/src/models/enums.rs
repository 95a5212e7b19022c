//! DK+ enums. Each reads the integer or the member name and keeps unknown values in `Unknown`;
//! each is written as the member name (see [`crate::EnumValue`]).

use crate::wire::enums::wire_enum;

wire_enum!(
    /// Kind of sales document (`SaleType` on a new invoice, `SalesType` on a read one).
    SaleType {
        /// An ordinary invoice (the default).
        Debit = 0,
        /// A credit note.
        Credit = 1,
        /// A return sale.
        ReturnSale = 2,
        /// Debit computation.
        DebitComputation = 3,
        /// Credit computation.
        CreditComputation = 4,
    }
);

wire_enum!(
    /// Product class (`ItemClass`). Only `ServiceItem` is confirmed by name in published
    /// integrations; DK+ sends 0 for stock items and 1 for service items in the samples seen.
    ItemClass {
        /// A stocked item.
        StockItem = 0,
        /// A service (no stock).
        ServiceItem = 1,
    }
);

wire_enum!(
    /// Project status (`JobStatus`).
    JobStatus {
        /// Not started.
        NotStarted = 0,
        /// In progress.
        InProgress = 1,
        /// Waiting.
        InWaiting = 2,
        /// Finished.
        Finished = 3,
        /// Ready.
        Ready = 4,
    }
);

wire_enum!(
    /// Project kind (`JobType`).
    JobType {
        /// Time and material.
        TimeJob = 0,
        /// Service job.
        ServiceJob = 1,
        /// Fixed quotation.
        QuotationJob = 2,
        /// Internal.
        InHouseJob = 3,
    }
);

wire_enum!(
    /// How a project is billed (`JobBillingMode`).
    JobBillingMode {
        /// Monthly.
        Monthly = 0,
        /// When finished.
        Finished = 1,
        /// Irregularly (DK+'s spelling).
        Irregulary = 2,
        /// Per bill.
        Bill = 3,
        /// Warranty work.
        Warranty = 4,
    }
);

wire_enum!(
    /// Which discount applies to a project (`DiscountType`).
    DiscountType {
        /// The customer's discount.
        CustomerDiscount = 0,
        /// The project's own discount.
        JobDiscount = 1,
        /// No discount.
        NoDiscount = 2,
    }
);

wire_enum!(
    /// Customer gender (`Gender`); companies use `GenderCompany`.
    Gender {
        /// Male.
        Male = 0,
        /// Female.
        Female = 1,
        /// A company.
        GenderCompany = 2,
        /// No gender.
        NoGender = 3,
        /// Not set.
        NotExists = 4,
        /// Boy.
        Boy = 5,
        /// Girl.
        Girl = 6,
    }
);

wire_enum!(
    /// Inventory costing method (`CostMethod`).
    CostMethod {
        /// None.
        None = 0,
        /// Average cost.
        Average = 1,
        /// First in, first out.
        FIFO = 2,
        /// Last in, first out.
        LIFO = 3,
    }
);
