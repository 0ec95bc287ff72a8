drop table order_items;
drop table orders;
drop type order_status;
