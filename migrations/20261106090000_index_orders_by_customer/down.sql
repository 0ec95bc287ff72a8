--! Transaction: off

drop index concurrently if exists orders_customer_id_created_at_idx;
