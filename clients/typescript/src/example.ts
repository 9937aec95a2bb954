// A few real calls typed by the types generated from openapi.json (src/schema.d.ts, made by
// `npm run generate`). Nothing here runs in CI: `tsc --noEmit` proves that the generated types
// compile under strict settings and that requests and responses are typed end to end.
import type { components, operations } from "./schema";

type Schemas = components["schemas"];
type Problem = Schemas["Problem"];

type JsonOf<T> = T extends { content: { "application/json": infer Body } } ? Body : never;
/** The JSON body an operation takes. */
type RequestOf<Op extends keyof operations> = operations[Op] extends {
  requestBody: infer Body;
}
  ? JsonOf<Body>
  : never;
/** The JSON body an operation answers with a given status. */
type ResponseOf<Op extends keyof operations, Status extends number> = operations[Op] extends {
  responses: infer Responses;
}
  ? Status extends keyof Responses
    ? JsonOf<Responses[Status]>
    : never
  : never;
/** The path and header parameters an operation needs. */
type PathOf<Op extends keyof operations> = operations[Op]["parameters"]["path"];
type HeadersOf<Op extends keyof operations> = operations[Op]["parameters"]["header"];

export class ApiError extends Error {
  constructor(readonly problem: Problem) {
    super(`${problem.status} ${problem.code}: ${problem.detail}`);
  }
}

export class VeteranCare {
  constructor(
    private readonly baseUrl: string,
    private token?: string,
  ) {}

  private async send<T>(
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<{ data: T; etag: string | null }> {
    const response = await fetch(`${this.baseUrl}${path}`, {
      method,
      headers: {
        ...(this.token ? { Authorization: `Bearer ${this.token}` } : {}),
        ...(body === undefined ? {} : { "Content-Type": "application/json" }),
        ...headers,
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    if (!response.ok) throw new ApiError((await response.json()) as Problem);
    return { data: (await response.json()) as T, etag: response.headers.get("ETag") };
  }

  /** OAuth2 password grant: the token endpoint takes a form, as OAuth2 says. */
  async login(username: string, password: string): Promise<ResponseOf<"issue_token", 200>> {
    const form: Schemas["TokenRequest"] = { grant_type: "password", username, password };
    const response = await fetch(`${this.baseUrl}/api/v1/auth/token`, {
      method: "POST",
      body: new URLSearchParams(Object.entries(form).filter((e): e is [string, string] => typeof e[1] === "string")),
    });
    if (!response.ok) throw new ApiError((await response.json()) as Problem);
    const token = (await response.json()) as ResponseOf<"issue_token", 200>;
    this.token = token.access_token;
    return token;
  }

  async createBeneficiary(body: RequestOf<"create_beneficiary">) {
    return this.send<ResponseOf<"create_beneficiary", 201>>("POST", "/api/v1/beneficiaries", body);
  }

  async updateBeneficiary(
    path: PathOf<"update_beneficiary">,
    headers: HeadersOf<"update_beneficiary">,
    body: RequestOf<"update_beneficiary">,
  ) {
    return this.send<ResponseOf<"update_beneficiary", 200>>(
      "PATCH",
      `/api/v1/beneficiaries/${path.beneficiary_id}`,
      body,
      { "If-Match": headers["if-match"] },
    );
  }

  async createCard(path: PathOf<"create_card">, body: RequestOf<"create_card">) {
    return this.send<ResponseOf<"create_card", 201>>(
      "POST",
      `/api/v1/beneficiaries/${path.beneficiary_id}/cards`,
      body,
    );
  }

  async bookCheckup(body: RequestOf<"book_checkup">) {
    return this.send<ResponseOf<"book_checkup", 201>>("POST", "/api/v1/checkups", body);
  }

  async recordResult(path: PathOf<"record_result">, body: RequestOf<"record_result">) {
    return this.send<ResponseOf<"record_result", 201>>(
      "POST",
      `/api/v1/appointments/${path.appointment_id}/result`,
      body,
    );
  }

  async dispense(body: RequestOf<"create_dispense">) {
    return this.send<ResponseOf<"create_dispense", 201>>("POST", "/api/v1/dispenses", body);
  }

  async attendance(query: NonNullable<operations["attendance_report"]["parameters"]["query"]>) {
    const params = new URLSearchParams();
    for (const [key, value] of Object.entries(query)) {
      for (const item of Array.isArray(value) ? value : [value]) {
        if (item !== undefined && item !== null) params.append(key, String(item));
      }
    }
    return this.send<ResponseOf<"attendance_report", 200>>(
      "GET",
      `/api/v1/reports/attendance?${params.toString()}`,
    );
  }
}

/** A checkup, end to end; every value below is checked against the generated types. */
export async function periodicCheck(api: VeteranCare, facilityId: string, day: string) {
  await api.login("scheduler", "a-long-enough-password");
  const { data: person, etag } = await api.createBeneficiary({
    full_name: "Lò Văn Pọm",
    birth_year: 1950,
    sex: "male",
    ethnicity_code: "03",
    bhxh_number: "1100012345",
    commune_code: "03127",
    categories: [{ code: "wounded-soldier", disability_rate: 41 }],
  });
  if (etag === null) throw new Error("reads and creates carry an ETag");
  await api.updateBeneficiary({ beneficiary_id: person.id }, { "if-match": etag }, { phone: "0912345678" });
  await api.createCard(
    { beneficiary_id: person.id },
    {
      number: "CB2111100012345",
      valid_from: "2027-01-01",
      valid_to: "2027-12-31",
      registration_facility_code: "11001",
    },
  );
  const { data: checkup } = await api.bookCheckup({
    beneficiary_id: person.id,
    facility_id: facilityId,
    date: day,
    specialty_codes: ["internal-medicine"],
    part_of_day: "morning",
  });
  const appointment = checkup.appointments[0];
  if (appointment === undefined) throw new Error("a checkup has one appointment per specialty");
  const status: Schemas["AppointmentStatus"] = appointment.status;
  await api.recordResult(
    { appointment_id: appointment.id },
    {
      systolic_mmhg: 150,
      diastolic_mmhg: 95,
      diagnoses: [{ code: "I10", principal: true }],
    },
  );
  await api.dispense({
    beneficiary_id: person.id,
    facility_id: facilityId,
    medicine_id: "00000000-0000-4000-8000-000000000000",
    checkup_id: checkup.id,
    quantity: 6,
    dosage_instructions: "Uống 1 viên khi sốt, cách 6 giờ",
  });
  const { data: report } = await api.attendance({ date_from: day, date_to: day, group_by: ["commune"] });
  const counts: Schemas["ReportTable"]["rows"] = report.rows;
  return { status, counts, figures: report.figures };
}

// The types refuse what the API refuses: these lines must not compile.
export function refusedAtCompileTime(api: VeteranCare) {
  // @ts-expect-error specialty_codes is required
  void api.bookCheckup({ beneficiary_id: "x", facility_id: "y", date: "2027-07-27" });
  // @ts-expect-error sex is an enum
  void api.createBeneficiary({ full_name: "A", sex: "m" });
  // @ts-expect-error an update needs If-Match
  void api.updateBeneficiary({ beneficiary_id: "x" }, {}, {});
}
