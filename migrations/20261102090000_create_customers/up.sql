--! Parent: base
--! Message: Create customers and the updated_at trigger function

-- Shared by every table with an updated_at column.
create function set_updated_at() returns trigger
language plpgsql as $$
begin
  new.updated_at := now();
  return new;
end;
$$;

create table customers (
  id         bigint generated always as identity primary key,
  email      text not null,
  name       text not null,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);

-- One account per address, whatever the capitalisation.
create unique index customers_email_key on customers (lower(email));

create trigger customers_set_updated_at
  before update on customers
  for each row execute function set_updated_at();
