drop table customers;  -- takes its index and trigger with it
drop function set_updated_at();
