-- What the integration last confirmed DK+ holds for a customer, project or product: the
-- fingerprint of that record as the integration would send it, with what DK+ said of it (its
-- VAT exemption or VAT rate), and when. A match within the recheck time costs no DK+ read.
CREATE TABLE dkplus_facts (
    moment_company TEXT NOT NULL,
    dkplus_company TEXT NOT NULL,
    key TEXT NOT NULL,
    value TEXT NOT NULL,
    at BIGINT NOT NULL,
    PRIMARY KEY (moment_company, dkplus_company, key)
);
