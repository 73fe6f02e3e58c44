import { autocompletion } from "@codemirror/autocomplete";
import { sql, SQLDialect, type SQLNamespace } from "@codemirror/lang-sql";
import { Compartment, EditorState, Prec } from "@codemirror/state";
import { EditorView, keymap } from "@codemirror/view";
import { basicSetup } from "codemirror";
import { useEffect, useRef } from "react";

/** ClickHouse's words for @codemirror/lang-sql (it ships no ClickHouse dialect). */
export const ClickHouseSQL = SQLDialect.define({
  keywords:
    "select from where prewhere group by order limit offset having with as and or not in is null like ilike between " +
    "case when then else end join inner left right full outer cross array using on final sample union all distinct " +
    "settings format show tables databases describe desc explain exists interval any asc desc nulls first last fill " +
    "totals rollup cube window over partition rows range preceding following current row global asof semi anti",
  types:
    "uint8 uint16 uint32 uint64 uint128 uint256 int8 int16 int32 int64 int128 int256 float32 float64 decimal string " +
    "fixedstring date date32 datetime datetime64 uuid array tuple map nullable lowcardinality bool enum8 enum16 json ipv4 ipv6",
  builtin:
    "count sum avg min max any argmax argmin uniq uniqexact quantile quantiles median groupArray toStartOfMinute " +
    "toStartOfHour toDate toDateTime now now64 today isFinite isNaN JSONExtractFloat JSONExtractString JSONHas " +
    "formatReadableSize round if multiIf arrayJoin countIf sumIf avgIf",
  backslashEscapes: true,
  hashComments: true,
  identifierQuotes: '`"',
});

export interface SqlEditorProps {
  value: string;
  onChange: (value: string) => void;
  onRun: () => void;
  schema: SQLNamespace;
}

/**
 * CodeMirror 6, created once; the schema (completion) is swapped through a Compartment, and
 * the text is pushed in only when it changed from outside (a snippet, the history, the URL).
 */
export function SqlEditor({ value, onChange, onRun, schema }: SqlEditorProps) {
  const hostRef = useRef<HTMLDivElement>(null);
  const viewRef = useRef<EditorView | null>(null);
  const language = useRef(new Compartment());
  const callbacks = useRef({ onChange, onRun });
  callbacks.current = { onChange, onRun };

  useEffect(() => {
    const host = hostRef.current;
    if (!host) return;
    const view = new EditorView({
      parent: host,
      state: EditorState.create({
        doc: value,
        extensions: [
          Prec.highest(
            keymap.of([
              { key: "Mod-Enter", preventDefault: true, run: () => (callbacks.current.onRun(), true) },
            ]),
          ),
          basicSetup,
          language.current.of(sql({ dialect: ClickHouseSQL, upperCaseKeywords: true })),
          autocompletion(),
          EditorView.updateListener.of((update) => {
            if (update.docChanged) callbacks.current.onChange(update.state.doc.toString());
          }),
          EditorView.theme({
            "&": { fontSize: "13px", backgroundColor: "var(--rw-card)", color: "var(--rw-text)", height: "100%" },
            ".cm-content": { fontFamily: "ui-monospace, SFMono-Regular, Menlo, monospace", caretColor: "var(--rw-text)" },
            ".cm-gutters": { backgroundColor: "var(--rw-subtle)", color: "var(--rw-muted)", border: "none" },
            ".cm-activeLine, .cm-activeLineGutter": { backgroundColor: "color-mix(in srgb, var(--rw-accent) 8%, transparent)" },
            "&.cm-focused .cm-selectionBackground, .cm-selectionBackground": {
              backgroundColor: "color-mix(in srgb, var(--rw-accent) 30%, transparent) !important",
            },
            ".cm-tooltip": { backgroundColor: "var(--rw-raised)", border: "1px solid var(--rw-border)" },
            ".cm-scroller": { overflow: "auto" },
          }),
        ],
      }),
    });
    viewRef.current = view;
    return () => {
      view.destroy();
      viewRef.current = null;
    };
    // created once: value and schema updates arrive through the effects below
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, []);

  useEffect(() => {
    const view = viewRef.current;
    if (view && view.state.doc.toString() !== value) {
      view.dispatch({ changes: { from: 0, to: view.state.doc.length, insert: value } });
    }
  }, [value]);

  useEffect(() => {
    viewRef.current?.dispatch({
      effects: language.current.reconfigure(sql({ dialect: ClickHouseSQL, schema, upperCaseKeywords: true })),
    });
  }, [schema]);

  return <div ref={hostRef} className="h-full min-h-0 overflow-hidden" data-testid="sql-editor" />;
}
