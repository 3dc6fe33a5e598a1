/**
 * How a web or mobile team uses the generated types: openapi-fetch, typed by the shop's
 * schema (`make clients` writes the types to clients/generated/typescript/schema.ts and
 * checks this file against them with `tsc --strict`). Each call's path, parameters, body
 * and answers come from the schema: a renamed field or a removed address fails to compile.
 */
import createClient, { type Middleware } from "openapi-fetch";
import type {
  Cart,
  Error as ApiError,
  LoginResponse,
  Order,
  OrderStatusEnum,
  OrderingEnum,
  PaginatedProductList,
  Payment,
  paths,
} from "shop-api";

export type ShopClient = ReturnType<typeof createClient<paths>>;

/** The API's error shape, thrown by the helpers below. */
export class ShopApiError extends Error {
  constructor(
    readonly status: number,
    readonly body: ApiError,
  ) {
    super(`${status} ${body.code}: ${body.detail}`);
  }
}

/** A client for `baseUrl` (e.g. "https://shop.example.com"); `token()` gives the access
 * token of the signed-in person, if any. */
export function shopClient(baseUrl: string, token: () => string | undefined): ShopClient {
  const client = createClient<paths>({ baseUrl });
  const bearer: Middleware = {
    onRequest({ request }) {
      const access = token();
      if (access) request.headers.set("Authorization", `Bearer ${access}`);
      return request;
    },
  };
  client.use(bearer);
  return client;
}

function fail(response: Response, error: ApiError): never {
  throw new ShopApiError(response.status, error);
}

export async function searchProducts(
  client: ShopClient,
  q: string,
  ordering: OrderingEnum = "relevance",
): Promise<PaginatedProductList> {
  const { data, error, response } = await client.GET("/api/v1/products/search/", {
    params: { query: { q, ordering, page_size: 20 } },
  });
  if (error) fail(response, error);
  return data;
}

export async function signIn(client: ShopClient, email: string, password: string): Promise<LoginResponse> {
  const { data, error, response } = await client.POST("/api/v1/auth/login/", {
    body: { email, password },
  });
  if (error) fail(response, error);
  return data;
}

export async function addToCart(client: ShopClient, variantId: number, quantity: number): Promise<Cart> {
  const { data, error, response } = await client.POST("/api/v1/cart/add/", {
    body: { variant_id: variantId, quantity },
  });
  if (error) {
    if (error.code === "insufficient_stock") console.warn(error.detail);
    fail(response, error);
  }
  return data;
}

export async function checkOutAndPay(client: ShopClient, address: Order["shipping_address"]): Promise<Order> {
  const placed = await client.POST("/api/v1/cart/checkout/", { body: { shipping_address: address } });
  if (placed.error) fail(placed.response, placed.error);
  const order: Order = placed.data;
  const created = await client.POST("/api/v1/payments/create/", { body: { order_id: order.id } });
  if (created.error) fail(created.response, created.error);
  const payment: Payment = created.data;
  const confirmed = await client.POST("/api/v1/payments/confirm/", {
    body: { payment_id: payment.id, payment_method: "pm_card_visa" },
  });
  if (confirmed.error) fail(confirmed.response, confirmed.error);
  const read = await client.GET("/api/v1/orders/{id}/", { params: { path: { id: order.id } } });
  if (read.error) fail(read.response, read.error);
  return read.data;
}

/** Every status an order can have: the compiler checks this list against the schema. */
export function statusLabel(status: OrderStatusEnum): string {
  switch (status) {
    case "pending":
      return "Waiting for payment";
    case "paid":
      return "Paid";
    case "processing":
      return "Being prepared";
    case "partially_shipped":
      return "Partly on its way";
    case "shipped":
      return "On its way";
    case "delivered":
      return "Delivered";
    case "cancelled":
      return "Cancelled";
    case "refunded":
      return "Refunded";
  }
}
