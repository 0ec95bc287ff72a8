-- schema.sql: the schema the migrations produce at head, written by strata dump. To change the schema,
-- edit this file and run strata new --from-schema (strata diff shows the revision first), or write a revision and run strata dump.
-- head: 20261106090000_index_orders_by_customer
set check_function_bodies = false;

create type public.order_status as enum ('pending', 'paid', 'shipped', 'cancelled');

CREATE OR REPLACE FUNCTION public.set_updated_at()
 RETURNS trigger
 LANGUAGE plpgsql
AS $function$
begin
  new.updated_at := now();
  return new;
end;
$function$;

create table public.customers (
    id bigint generated always as identity not null,
    email text not null,
    name text not null,
    created_at timestamp with time zone default now() not null,
    updated_at timestamp with time zone default now() not null
);

create table public.order_items (
    order_id bigint not null,
    product_id bigint not null,
    quantity integer not null,
    unit_price_cents integer not null
);

create table public.orders (
    id bigint generated always as identity not null,
    customer_id bigint not null,
    status public.order_status default 'pending'::public.order_status not null,
    created_at timestamp with time zone default now() not null,
    updated_at timestamp with time zone default now() not null
);

create table public.products (
    id bigint generated always as identity not null,
    sku text not null,
    name text not null,
    price_cents integer not null,
    created_at timestamp with time zone default now() not null,
    updated_at timestamp with time zone default now() not null
);

create view public.order_totals as
SELECT o.id AS order_id,
    o.customer_id,
    o.status,
    count(i.product_id) AS item_count,
    COALESCE(sum((i.quantity * i.unit_price_cents)), (0)::bigint) AS total_cents
   FROM (public.orders o
     LEFT JOIN public.order_items i ON ((i.order_id = o.id)))
  GROUP BY o.id, o.customer_id, o.status;

alter table public.customers add constraint customers_pkey PRIMARY KEY (id);

alter table public.order_items add constraint order_items_pkey PRIMARY KEY (order_id, product_id);
alter table public.order_items add constraint order_items_quantity_check CHECK ((quantity > 0));
alter table public.order_items add constraint order_items_unit_price_cents_check CHECK ((unit_price_cents >= 0));

alter table public.orders add constraint orders_pkey PRIMARY KEY (id);

alter table public.products add constraint products_pkey PRIMARY KEY (id);
alter table public.products add constraint products_price_cents_check CHECK ((price_cents >= 0));
alter table public.products add constraint products_sku_key UNIQUE (sku);

CREATE UNIQUE INDEX customers_email_key ON public.customers USING btree (lower(email));

CREATE INDEX order_items_product_id_idx ON public.order_items USING btree (product_id);

CREATE INDEX orders_customer_id_created_at_idx ON public.orders USING btree (customer_id, created_at DESC);

alter table public.order_items add constraint order_items_order_id_fkey FOREIGN KEY (order_id) REFERENCES public.orders(id) ON DELETE CASCADE;
alter table public.order_items add constraint order_items_product_id_fkey FOREIGN KEY (product_id) REFERENCES public.products(id);

alter table public.orders add constraint orders_customer_id_fkey FOREIGN KEY (customer_id) REFERENCES public.customers(id);

CREATE TRIGGER customers_set_updated_at BEFORE UPDATE ON public.customers FOR EACH ROW EXECUTE FUNCTION public.set_updated_at();

CREATE TRIGGER orders_set_updated_at BEFORE UPDATE ON public.orders FOR EACH ROW EXECUTE FUNCTION public.set_updated_at();

CREATE TRIGGER products_set_updated_at BEFORE UPDATE ON public.products FOR EACH ROW EXECUTE FUNCTION public.set_updated_at();
