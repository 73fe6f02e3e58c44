import Anser from "anser";

/** A run of text with one ANSI style: CSS classes (themeable 16 colours) or an inline colour. */
export interface AnsiSegment {
  text: string;
  className: string;
  color?: string;
  background?: string;
}

/** SGR colours and decorations of a console line, as segments (never HTML: no injection). */
export function ansiSegments(line: string): AnsiSegment[] {
  if (!line.includes("\u001b")) return [{ text: line, className: "" }];
  const entries = Anser.ansiToJson(line, { use_classes: true, remove_empty: true });
  return entries.map((entry) => {
    const classes: string[] = [];
    const segment: AnsiSegment = { text: entry.content, className: "" };
    if (entry.fg) {
      if (entry.fg.startsWith("ansi-")) classes.push(`${entry.fg}-fg`);
      else segment.color = `rgb(${entry.fg})`;
    }
    if (entry.bg) {
      if (entry.bg.startsWith("ansi-")) classes.push(`${entry.bg}-bg`);
      else segment.background = `rgb(${entry.bg})`;
    }
    if (entry.fg_truecolor) segment.color = `rgb(${entry.fg_truecolor})`;
    if (entry.bg_truecolor) segment.background = `rgb(${entry.bg_truecolor})`;
    for (const decoration of entry.decorations) classes.push(`ansi-${decoration}`);
    segment.className = classes.join(" ");
    return segment;
  });
}
