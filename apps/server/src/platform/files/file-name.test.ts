import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { contentDisposition, decodeFileNameHeader, neutralizeFileName } from './file-name.js';

describe('file name neutralization', () => {
  const pdf = (raw: string) => neutralizeFileName(raw, 'application/pdf');
  test('paths, traversal and separators leave only the last component', () => {
    assert.equal(pdf('../../etc/passwd'), 'passwd.pdf');
    assert.equal(pdf('..\\..\\boot.ini'), 'boot.pdf');
    assert.equal(pdf('C:\\Users\\me\\Desktop\\labs.pdf'), 'labs.pdf');
    assert.equal(pdf('/'), 'attachment.pdf');
    assert.equal(pdf('..'), 'attachment.pdf');
  });
  test('control, bidi and invisible characters are removed', () => {
    assert.equal(pdf('a\u0000b\u0007c.pdf'), 'abc.pdf');
    assert.equal(pdf('photo\u202Egnp.exe'), 'photognp.pdf');
    assert.equal(pdf('x\u2066y\u2069\u200Bz\uFEFF.pdf'), 'xyz.pdf');
    assert.equal(pdf('line\nbreak.pdf'), 'linebreak.pdf');
  });
  test('reserved names and characters are defused', () => {
    assert.equal(pdf('CON'), '_CON.pdf');
    assert.equal(pdf('lpt1.txt'), '_lpt1.pdf');
    assert.equal(pdf('a<b>c:d"e|f?g*.pdf'), 'a_b_c_d_e_f_g_.pdf');
    assert.equal(pdf('trailing dots... '), 'trailing dots.pdf');
  });
  test('the extension matches the real type', () => {
    assert.equal(pdf('invoice.exe'), 'invoice.pdf');
    assert.equal(pdf('results.PDF'), 'results.pdf');
    assert.equal(neutralizeFileName('IMG.jpeg', 'image/jpeg'), 'IMG.jpeg');
    assert.equal(neutralizeFileName('IMG.png', 'image/jpeg'), 'IMG.jpg');
    assert.equal(pdf('v1.2 notes'), 'v1.2 notes.pdf');
  });
  test('long names are shortened, keeping the extension; Unicode is kept (NFC)', () => {
    const long = pdf(`${'é'.repeat(400)}.pdf`);
    assert.equal([...long].length, 150);
    assert.ok(long.endsWith('.pdf'));
    assert.equal(pdf('Cafe\u0301.pdf'), 'Café.pdf');
  });
  test('header decoding and Content-Disposition', () => {
    assert.equal(decodeFileNameHeader('M%C3%A4rz.pdf'), 'März.pdf');
    assert.equal(decodeFileNameHeader('%E0%A4%A'), undefined);
    assert.equal(contentDisposition('attachment', 'März "x".pdf'), `attachment; filename="M_rz _x_.pdf"; filename*=UTF-8''M%C3%A4rz%20%22x%22.pdf`);
  });
});
