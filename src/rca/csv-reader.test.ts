import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { createInterface } from 'node:readline';
import { CsvFormatError, parseWideCsv, readWideCsv } from './csv-reader.ts';
import { splitColumnName } from './time-series.ts';

test('columns split into service and metric on the first underscore', () => {
  assert.deepEqual(splitColumnName('PetSearch-AWS::ECS::Fargate_latency-90'), { service: 'PetSearch-AWS::ECS::Fargate', metric: 'latency-90' });
  assert.deepEqual(splitColumnName('PGSQL Query-remote_workload'), { service: 'PGSQL Query-remote', metric: 'workload' });
  assert.deepEqual(splitColumnName('cart_container_cpu_usage'), { service: 'cart', metric: 'container_cpu_usage' });
  assert.equal(splitColumnName('nounderscore'), undefined);
  assert.equal(splitColumnName('_metric'), undefined);
  assert.equal(splitColumnName('service_'), undefined);
});

test('empty cells are missing values; odd cells too', () => {
  const t = parseWideCsv('time,a_latency,a_workload,b_success-rate\n100,0.5,,1\n200,,7,nan\n300,0.7,inf,0.98\n');
  assert.equal(t.series.length, 3);
  const [lat, wl, ok] = t.series;
  assert.deepEqual(lat!.timestamps, [100, 200, 300]);
  assert.deepEqual(lat!.values.map((v) => (Number.isNaN(v) ? null : v)), [0.5, null, 0.7]);
  assert.deepEqual(wl!.values.map((v) => (Number.isNaN(v) ? null : v)), [null, 7, null]);
  assert.deepEqual(ok!.values.map((v) => (Number.isNaN(v) ? null : v)), [1, null, 0.98]);
  assert.equal(ok!.service, 'b');
  assert.equal(ok!.metric, 'success-rate');
});

test('tolerates a BOM, CRLF line ends, short rows, quoted cells and a time column anywhere', () => {
  const t = parseWideCsv('\uFEFFx_cpu,time,"y_mem"\r\n1,10,2\r\n3,20\r\n');
  assert.deepEqual(t.series.map((s) => `${s.service}/${s.metric}`), ['x/cpu', 'y/mem']);
  assert.deepEqual(t.series[0]!.timestamps, [10, 20]);
  assert.ok(Number.isNaN(t.series[1]!.values[1]!));
});

test('columns that are not <service>_<metric> are skipped, or rejected on request', () => {
  assert.equal(parseWideCsv('time,time.1,a_cpu\n1,1,0.5\n').series.length, 1);
  assert.throws(() => parseWideCsv('time,bogus\n1,2\n', { onUnknownColumn: 'fail' }), CsvFormatError);
});

test('a missing time column or time going backwards is an error', () => {
  assert.throws(() => parseWideCsv('a_cpu,b_cpu\n1,2\n'), /no `time` column/);
  assert.throws(() => parseWideCsv('time,a_cpu\n10,1\n10,2\n'), /not after/);
  assert.throws(() => parseWideCsv('time,a_cpu\nsoon,1\n'), /not a number/);
  assert.throws(() => parseWideCsv(''), CsvFormatError);
});

test('reads from a stream of lines', async () => {
  const rl = createInterface({ input: Readable.from(['time,a_cpu\n1,0.1\n', '2,0.2\n3,0.3\n']) });
  const t = await readWideCsv(rl);
  assert.deepEqual(t.series[0]!.values, [0.1, 0.2, 0.3]);
});
