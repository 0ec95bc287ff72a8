--! Parent: 20261103090000_create_products
--! Message: Create orders and order items
--! Tags: v1.0

create type order_status as enum ('pending', 'paid', 'shipped', 'cancelled');

create table orders (
  id          bigint generated always as identity primary key,
  customer_id bigint not null references customers (id),
  status      order_status not null default 'pending',
  created_at  timestamptz not null default now(),
  updated_at  timestamptz not null default now()
);

create trigger orders_set_updated_at
  before update on orders
  for each row execute function set_updated_at();

create table order_items (
  order_id         bigint not null references orders (id) on delete cascade,
  product_id       bigint not null references products (id),
  quantity         integer not null check (quantity > 0),
  -- The price when ordered, so later price changes do not rewrite history.
  unit_price_cents integer not null check (unit_price_cents >= 0),
  primary key (order_id, product_id)
);

-- The primary key covers lookups by order; this one serves "which orders contain product X"
-- and keeps deletes on products from scanning order_items.
create index order_items_product_id_idx on order_items (product_id);
