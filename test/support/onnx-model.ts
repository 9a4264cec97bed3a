/**
 * A tiny ONNX model written by hand (the protobuf of onnx/onnx.proto, fields by number), for tests of code that loads
 * and runs a speaker-embedding model through onnxruntime-node: input `x[1,T,80]` (fbank frames), output
 * `embedding[1,80]`, each bin's maximum over the frames (ReduceMax, opset 13). No trained weights can be fetched
 * here; this one has the real model's input and output names and shapes, so everything around the weights is real.
 */
const varint = (n: number): number[] => {
  const out: number[] = [];
  let v = n;
  while (v > 127) {
    out.push((v & 127) | 128);
    v = Math.floor(v / 128);
  }
  out.push(v);
  return out;
};
type Field = [field: number, value: number | string | Buffer];
/** One message: each field a varint (number) or length-delimited (string, nested message). */
function message(fields: Field[]): Buffer {
  const parts: number[] = [];
  for (const [field, value] of fields) {
    if (typeof value === 'number') parts.push(...varint(field << 3), ...varint(value));
    else {
      const bytes = typeof value === 'string' ? Buffer.from(value, 'utf8') : value;
      parts.push(...varint((field << 3) | 2), ...varint(bytes.length), ...bytes);
    }
  }
  return Buffer.from(parts);
}

const FLOAT = 1;
const dim = (d: number | string): Buffer => message([typeof d === 'number' ? [1, d] : [2, d]]);
const tensorInfo = (name: string, dims: (number | string)[]): Buffer =>
  message([[1, name], [2, message([[1, message([[1, FLOAT], [2, message(dims.map((d): Field => [1, dim(d)]))]])]])]]);

/** The model's bytes: x[1,T,80] → embedding[1,80] = max over T. */
export function maxPoolEmbeddingModel(): Buffer {
  const node = message([
    [1, 'x'], [2, 'embedding'], [3, 'pool'], [4, 'ReduceMax'],
    [5, message([[1, 'axes'], [8, 1], [20, 7]])], // INTS [1]
    [5, message([[1, 'keepdims'], [3, 0], [20, 2]])], // INT 0
  ]);
  const graph = message([[1, node], [2, 'voice'], [11, tensorInfo('x', [1, 'T', 80])], [12, tensorInfo('embedding', [1, 80])]]);
  return message([[1, 8], [2, 'earshot-tests'], [7, graph], [8, message([[1, ''], [2, 13]])]]);
}
