// A tagged template for the HTML report: every interpolated value is escaped unless it is markup this
// template built, so nothing a check or a container wrote (a `</script>`, a tag, a quote in an
// attribute) can become markup. Arrays are joined; undefined, null and false render as nothing.

export class Markup {
  constructor(readonly text: string) {}

  toString(): string {
    return this.text;
  }
}

export function html(strings: TemplateStringsArray, ...values: unknown[]): Markup {
  let out = strings[0]!;
  values.forEach((value, i) => {
    out += render(value) + strings[i + 1]!;
  });
  return new Markup(out);
}

/** The page's own constants (stylesheet, script): markup by construction, never report text. */
export function trusted(text: string): Markup {
  return new Markup(text);
}

function render(value: unknown): string {
  if (value === undefined || value === null || value === false) return "";
  if (value instanceof Markup) return value.text;
  if (Array.isArray(value)) return value.map(render).join("");
  return escapeHtml(String(value));
}

const ENTITIES: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ENTITIES[c]!);
}
