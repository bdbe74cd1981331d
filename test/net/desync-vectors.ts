/**
 * Request-smuggling and desync vectors for the HTTP edge's differential tests: each is sent to
 * the fast engine and to a plain `node:http` server (llhttp), whole and split at every byte, and
 * both must see the same requests and answer with the same status codes. Every vector is
 * followed by a last request that asks to close, so that each exchange ends.
 */

const P = "POST /a HTTP/1.1\r\nhost: x\r\n";
const Q = "POST /b HTTP/1.1\r\nhost: x\r\n";

export const LAST = "GET /last HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n";

/** [name, bytes (Latin-1)] */
export const VECTORS: Array<[string, string]> = [
  // Plain framing
  ["content-length body", `${P}content-length: 5\r\n\r\nhello`],
  ["content-length 0", `${P}content-length: 0\r\n\r\n`],
  ["two pipelined bodies", `${P}content-length: 2\r\n\r\nab${Q}content-length: 3\r\n\r\ncde`],
  ["fast then Node then fast", `${P}content-length: 1\r\n\r\naGET /n HTTP/1.1\r\nhost: x\r\n\r\n${Q}content-length: 1\r\n\r\nb`],
  ["chunked body", `${P}transfer-encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n`],
  ["chunked with extension and trailer", `${P}transfer-encoding: chunked\r\n\r\n2;x=y\r\nab\r\n0\r\nt: v\r\n\r\n`],
  // CL.TE / TE.CL
  ["CL.TE", `${P}content-length: 6\r\ntransfer-encoding: chunked\r\n\r\n0\r\n\r\nG`],
  ["TE.CL", `${P}transfer-encoding: chunked\r\ncontent-length: 3\r\n\r\n8\r\nSMUGGLED\r\n0\r\n\r\n`],
  ["TE with space before colon", `${P}transfer-encoding : chunked\r\ncontent-length: 4\r\n\r\n0\r\n\r\n`],
  ["TE chunked, identity", `${P}transfer-encoding: chunked, identity\r\ncontent-length: 0\r\n\r\n`],
  ["TE identity", `${P}transfer-encoding: identity\r\ncontent-length: 2\r\n\r\nab`],
  ["TE gzip, chunked", `${P}transfer-encoding: gzip, chunked\r\n\r\n0\r\n\r\n`],
  ["TE chunkedx", `${P}transfer-encoding: chunkedx\r\ncontent-length: 2\r\n\r\nab`],
  ["TE xchunked", `${P}transfer-encoding: xchunked\r\ncontent-length: 2\r\n\r\nab`],
  ["TE Chunked (case)", `${P}transfer-encoding: Chunked\r\n\r\n0\r\n\r\n`],
  ["TE chunked + tab", `${P}transfer-encoding: chunked\t\r\n\r\n0\r\n\r\n`],
  ["TE twice", `${P}transfer-encoding: gzip\r\ntransfer-encoding: chunked\r\n\r\n0\r\n\r\n`],
  ["TE with vertical tab", `${P}transfer-encoding:\x0bchunked\r\ncontent-length: 2\r\n\r\nab`],
  // Content-Length variants
  ["duplicate CL, same value", `${P}content-length: 2\r\ncontent-length: 2\r\n\r\nab`],
  ["duplicate CL, different values", `${P}content-length: 2\r\ncontent-length: 3\r\n\r\nabc`],
  ["duplicate CL, different case", `${P}content-length: 2\r\nContent-Length: 2\r\n\r\nab`],
  ["CL list 2, 2", `${P}content-length: 2, 2\r\n\r\nab`],
  ["CL leading tab", `${P}content-length:\t2\r\n\r\nab`],
  ["CL trailing tab", `${P}content-length: 2\t\r\n\r\nab`],
  ["CL trailing space", `${P}content-length: 2 \r\n\r\nab`],
  ["CL trailing space then tab", `${P}content-length: 2 \t\r\n\r\nab`],
  ["CL leading spaces and tabs", `${P}content-length: \t \t2\r\n\r\nab`],
  ["CL no space", `${P}content-length:2\r\n\r\nab`],
  ["CL plus", `${P}content-length: +2\r\n\r\nab`],
  ["CL minus", `${P}content-length: -2\r\n\r\nab`],
  ["CL hex", `${P}content-length: 0x2\r\n\r\nab`],
  ["CL decimal point", `${P}content-length: 2.0\r\n\r\nab`],
  ["CL inner space", `${P}content-length: 1 1\r\n\r\nab`],
  ["CL empty", `${P}content-length: \r\n\r\nab`],
  ["CL leading zeros", `${P}content-length: 0002\r\n\r\nab`],
  ["CL overflow", `${P}content-length: 99999999999999999999\r\n\r\nab`],
  ["CL 16 digits", `${P}content-length: 0000000000000002\r\n\r\nab`],
  ["CL vertical tab", `${P}content-length:\x0b2\r\n\r\nab`],
  ["CL form feed", `${P}content-length: 2\x0c\r\n\r\nab`],
  ["CL with space before colon", `${P}content-length : 2\r\n\r\nab`],
  ["CL with tab before colon", `${P}content-length\t: 2\r\n\r\nab`],
  ["CL name with NUL", `${P}content-length\x00: 2\r\n\r\nab`],
  ["CL obs-fold", `${P}content-length:\r\n 2\r\n\r\nab`],
  ["CL on a GET", `GET /g HTTP/1.1\r\nhost: x\r\ncontent-length: 2\r\n\r\nab`],
  // Line endings, folding, control characters
  ["obs-fold in a value", `${P}x-a: b\r\n c\r\ncontent-length: 0\r\n\r\n`],
  ["fold with tab", `${P}x-a: b\r\n\tc\r\ncontent-length: 0\r\n\r\n`],
  ["first header line folded", `POST /a HTTP/1.1\r\n host: x\r\ncontent-length: 0\r\n\r\n`],
  ["bare LF line ends", `POST /a HTTP/1.1\nhost: x\ncontent-length: 2\n\nab`],
  ["bare LF in one line", `${P}x-a: b\ncontent-length: 2\r\n\r\nab`],
  ["bare LF ending the head", `${P}content-length: 2\r\n\nab`],
  ["bare CR in a value", `${P}x-a: b\rc\r\ncontent-length: 0\r\n\r\n`],
  ["bare CR ending a line", `${P}x-a: b\r\rcontent-length: 0\r\n\r\n`],
  ["NUL in a value", `${P}x-a: b\x00c\r\ncontent-length: 0\r\n\r\n`],
  ["NUL in the target", `POST /a\x00b HTTP/1.1\r\nhost: x\r\ncontent-length: 0\r\n\r\n`],
  ["DEL in a value", `${P}x-a: b\x7fc\r\ncontent-length: 0\r\n\r\n`],
  ["obs-text in a value", `${P}x-a: caf\xe9\r\ncontent-length: 0\r\n\r\n`],
  ["tab inside a value", `${P}x-a: b\tc\r\ncontent-length: 0\r\n\r\n`],
  ["value of spaces and tabs only", `${P}x-a: \t \r\ncontent-length: 0\r\n\r\n`],
  ["header without colon", `${P}x-a b\r\ncontent-length: 0\r\n\r\n`],
  ["empty header name", `${P}: b\r\ncontent-length: 0\r\n\r\n`],
  ["header name with a space", `${P}x a: b\r\ncontent-length: 0\r\n\r\n`],
  ["header name with parenthesis", `${P}x(a): b\r\ncontent-length: 0\r\n\r\n`],
  ["header name with obs-text", `${P}x-\xe9: b\r\ncontent-length: 0\r\n\r\n`],
  // Request line
  ["leading CRLF before the request", `\r\n${P}content-length: 0\r\n\r\n`],
  ["two spaces after the method", `POST  /a HTTP/1.1\r\nhost: x\r\ncontent-length: 0\r\n\r\n`],
  ["tab after the method", `POST\t/a HTTP/1.1\r\nhost: x\r\ncontent-length: 0\r\n\r\n`],
  ["trailing space after the version", `POST /a HTTP/1.1 \r\nhost: x\r\ncontent-length: 0\r\n\r\n`],
  ["no version", `POST /a\r\nhost: x\r\ncontent-length: 0\r\n\r\n`],
  ["HTTP/1.2", `POST /a HTTP/1.2\r\nhost: x\r\ncontent-length: 0\r\n\r\n`],
  ["HTTP/2.0", `POST /a HTTP/2.0\r\nhost: x\r\ncontent-length: 0\r\n\r\n`],
  ["lower-case version", `POST /a http/1.1\r\nhost: x\r\ncontent-length: 0\r\n\r\n`],
  ["lower-case method", `post /a HTTP/1.1\r\nhost: x\r\ncontent-length: 0\r\n\r\n`],
  ["unknown method", `FOO /a HTTP/1.1\r\nhost: x\r\ncontent-length: 0\r\n\r\n`],
  ["absolute-form target", `POST http://x/a HTTP/1.1\r\nhost: x\r\ncontent-length: 2\r\n\r\nab`],
  ["asterisk target", `OPTIONS * HTTP/1.1\r\nhost: x\r\n\r\n`],
  ["query and fragment", `POST /a?b=c#d HTTP/1.1\r\nhost: x\r\ncontent-length: 0\r\n\r\n`],
  ["target with quote, braces, pipe, backslash", `POST /a"{|}\\ HTTP/1.1\r\nhost: x\r\ncontent-length: 0\r\n\r\n`],
  ["target with obs-text", `POST /caf\xe9 HTTP/1.1\r\nhost: x\r\ncontent-length: 0\r\n\r\n`],
  ["target not starting with a slash", `POST a HTTP/1.1\r\nhost: x\r\ncontent-length: 0\r\n\r\n`],
  // Host
  ["no Host", `POST /a HTTP/1.1\r\ncontent-length: 0\r\n\r\n`],
  ["two Hosts", `${P}host: y\r\ncontent-length: 0\r\n\r\n`],
  ["empty Host", `POST /a HTTP/1.1\r\nhost:\r\ncontent-length: 0\r\n\r\n`],
  // Expect, Upgrade, Connection
  ["Expect 100-continue", `${P}expect: 100-continue\r\ncontent-length: 2\r\n\r\nab`],
  ["Expect unknown", `${P}expect: foo\r\ncontent-length: 2\r\n\r\nab`],
  ["Upgrade websocket", `${P}connection: upgrade\r\nupgrade: websocket\r\ncontent-length: 0\r\n\r\n`],
  ["Upgrade without connection: upgrade", `${P}upgrade: h2c\r\ncontent-length: 0\r\n\r\n`],
  ["connection: upgrade alone", `${P}connection: upgrade\r\ncontent-length: 0\r\n\r\n`],
  ["connection: close then more", `${P}connection: close\r\ncontent-length: 1\r\n\r\na${Q}content-length: 0\r\n\r\n`],
  ["connection: close, tab after", `${P}connection: close\t\r\ncontent-length: 0\r\n\r\n`],
  ["connection: keep-alive, close", `${P}connection: keep-alive, close\r\ncontent-length: 0\r\n\r\n`],
  ["connection: CLOSE", `${P}connection: CLOSE\r\ncontent-length: 0\r\n\r\n`],
  ["connection: closed", `${P}connection: closed\r\ncontent-length: 0\r\n\r\n`],
  // HTTP/1.0
  ["HTTP/1.0 keep-alive", `POST /a HTTP/1.0\r\nconnection: keep-alive\r\ncontent-length: 2\r\n\r\nab`],
  ["HTTP/1.0 without keep-alive", `POST /a HTTP/1.0\r\ncontent-length: 2\r\n\r\nab`],
  // Chunked framing attacks (left to Node; both must agree)
  ["chunk size overflow", `${P}transfer-encoding: chunked\r\n\r\nffffffffffffffffff\r\nab\r\n0\r\n\r\n`],
  ["chunk size with space", `${P}transfer-encoding: chunked\r\n\r\n2 \r\nab\r\n0\r\n\r\n`],
  ["chunk size negative", `${P}transfer-encoding: chunked\r\n\r\n-2\r\nab\r\n0\r\n\r\n`],
  ["chunk data too long", `${P}transfer-encoding: chunked\r\n\r\n2\r\nabc\r\n0\r\n\r\n`],
  ["chunk with bare LF", `${P}transfer-encoding: chunked\r\n\r\n2\nab\n0\n\n`],
  // Garbage after a body
  ["bytes after the body", `${P}content-length: 2\r\n\r\nabXYZ\r\n\r\n`],
  ["CRLF between pipelined requests", `${P}content-length: 1\r\n\r\na\r\n${Q}content-length: 0\r\n\r\n`],
];
