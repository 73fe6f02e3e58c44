// The official Node client (@clickhouse/client) against a running server: its basic flows.
// Usage: node check.mjs http://127.0.0.1:8123 — prints one JSON line per check, exits 1 on
// the first failure (tests/embedded/test_node_client.py runs it against the embedded server).
import { createClient } from '@clickhouse/client'

const url = process.argv[2]
const client = createClient({ url, request_timeout: 30000 })
const db = `node_${Date.now()}_${Math.floor(Math.random() * 1e6)}`

function check(name, ok, detail) {
  console.log(JSON.stringify({ check: name, ok, detail }))
  if (!ok) throw new Error(`${name} failed: ${JSON.stringify(detail)}`)
}

try {
  const ping = await client.ping()
  check('ping', ping.success === true, ping)

  const rs = await client.query({ query: 'SELECT number, toString(number) AS s FROM numbers(3)', format: 'JSON' })
  const json = await rs.json()
  check('query JSON', json.data.length === 3 && json.data[2].s === '2', json.data)

  const cmd = await client.command({ query: `CREATE DATABASE ${db}` })
  check('command', typeof cmd.query_id === 'string' && cmd.query_id.length > 0, cmd)
  await client.command({ query: `CREATE TABLE ${db}.t (id UInt32, name String) ENGINE = MergeTree ORDER BY id` })

  const rows = Array.from({ length: 1000 }, (_, i) => ({ id: i, name: `n${i}` }))
  const ins = await client.insert({ table: `${db}.t`, values: rows, format: 'JSONEachRow' })
  check('insert JSONEachRow', ins.executed === true, ins)

  const count = await (await client.query({ query: `SELECT count() AS c, sum(id) AS s FROM ${db}.t`, format: 'JSONEachRow' })).json()
  check('inserted rows read back', Number(count[0].c) === 1000 && Number(count[0].s) === 499500, count)

  const params = await (await client.query({
    query: 'SELECT {a:UInt32} + 1 AS v, {s:String} AS s', format: 'JSONEachRow',
    query_params: { a: 41, s: "it's" },
  })).json()
  check('query params', params[0].v === 42 && params[0].s === "it's", params)

  const stream = (await client.query({ query: 'SELECT number FROM numbers(200000)', format: 'JSONCompactEachRow' })).stream()
  let streamed = 0
  for await (const batch of stream) streamed += batch.length
  check('stream', streamed === 200000, { streamed })

  let error = null
  try { await client.query({ query: 'SELECT * FROM no_such_table_here', format: 'JSON' }) } catch (e) { error = e }
  check('error has ClickHouse code', error !== null && String(error.code) === '60', { code: error && error.code })

  await client.command({ query: `DROP DATABASE ${db}` })
} finally {
  await client.close()
}
