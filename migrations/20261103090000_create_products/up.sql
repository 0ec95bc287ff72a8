--! Parent: 20261102090000_create_customers
--! Message: Create products

create table products (
  id          bigint generated always as identity primary key,
  sku         text not null unique,
  name        text not null,
  -- Money as integer cents: no rounding surprises.
  price_cents integer not null check (price_cents >= 0),
  created_at  timestamptz not null default now(),
  updated_at  timestamptz not null default now()
);

create trigger products_set_updated_at
  before update on products
  for each row execute function set_updated_at();
