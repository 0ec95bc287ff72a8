--! Parent: 20261105090000_add_order_totals_view
--! Message: Index orders by customer, newest first
--! Transaction: off

-- Concurrently, so a busy orders table keeps taking writes while the index builds; that
-- cannot run inside a transaction. If the build fails it leaves an INVALID index that
-- "if not exists" would then skip: drop it before running this revision again.
create index concurrently if not exists orders_customer_id_created_at_idx
  on orders (customer_id, created_at desc);
