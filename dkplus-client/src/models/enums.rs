//! DK+ enums. Each reads the integer or the member name and keeps unknown values in `Unknown`;
//! each is written in the form DK+ publishes for it: the member name for enums published as
//! strings, the integer for `ItemClass`, which is published as an integer (see
//! [`crate::EnumValue`]).

use crate::wire::enums::wire_enum;

wire_enum!(
    /// Kind of sales document (`SaleType` on a new invoice, `SalesType` on a read one).
    SaleType as Name {
        /// An ordinary invoice (the default).
        Debit = 0 "Debit",
        /// A credit note.
        Credit = 1 "Credit",
        /// A return sale.
        ReturnSale = 2 "ReturnSale",
        /// Debit computation.
        DebitComputation = 3 "DebitComputation",
        /// Credit computation.
        CreditComputation = 4 "CreditComputation",
    }
);

wire_enum!(
    /// Product class (`ItemClass`), published as an integer without member names; written as the
    /// integer. The meaning of the integers is inferred from DK's examples (0 on stock items, 1 on
    /// service items), not published.
    ItemClass as Int {
        /// A stocked item.
        StockItem = 0 "StockItem",
        /// A service (no stock).
        ServiceItem = 1 "ServiceItem",
    }
);

wire_enum!(
    /// Project status (`JobStatus`).
    JobStatus as Name {
        /// Not started.
        NotStarted = 0 "NotStarted",
        /// In progress.
        InProgress = 1 "InProgress",
        /// Waiting.
        InWaiting = 2 "InWaiting",
        /// Finished.
        Finished = 3 "Finished",
        /// Ready.
        Ready = 4 "Ready",
    }
);

wire_enum!(
    /// Project kind (`JobType`).
    JobType as Name {
        /// Time and material.
        TimeJob = 0 "_cbTimeJob",
        /// Service job.
        ServiceJob = 1 "_cbServiceJob",
        /// Fixed quotation.
        QuotationJob = 2 "_cbQuotationJob",
        /// Internal.
        InHouseJob = 3 "_cbInHouseJob",
    }
);

wire_enum!(
    /// How a project is billed (`JobBillingMode`).
    JobBillingMode as Name {
        /// Monthly.
        Monthly = 0 "Monthly",
        /// When finished.
        Finished = 1 "Finished",
        /// Irregularly (DK+'s spelling).
        Irregulary = 2 "Irregulary",
        /// Per bill.
        Bill = 3 "Bill",
        /// Warranty work.
        Warranty = 4 "Warranty",
    }
);

wire_enum!(
    /// Which discount applies to a project (`DiscountType`).
    DiscountType as Name {
        /// The customer's discount.
        CustomerDiscount = 0 "CustomerDiscount",
        /// The project's own discount.
        JobDiscount = 1 "JobDiscount",
        /// No discount.
        NoDiscount = 2 "NoDiscount",
    }
);

wire_enum!(
    /// Customer gender (`Gender`); companies use `GenderCompany`.
    Gender as Name {
        /// Male.
        Male = 0 "Male",
        /// Female.
        Female = 1 "Female",
        /// A company.
        GenderCompany = 2 "GenderCompany",
        /// No gender.
        NoGender = 3 "NoGender",
        /// Not set.
        NotExists = 4 "NotExists",
        /// Boy.
        Boy = 5 "Boy",
        /// Girl.
        Girl = 6 "Girl",
    }
);

wire_enum!(
    /// Inventory costing method (`CostMethod`).
    CostMethod as Name {
        /// None.
        None = 0 "None",
        /// Average cost.
        Average = 1 "Average",
        /// First in, first out.
        FIFO = 2 "FIFO",
        /// Last in, first out.
        LIFO = 3 "LIFO",
    }
);
