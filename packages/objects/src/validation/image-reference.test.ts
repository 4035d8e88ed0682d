import { imageReferenceProblem } from './image-reference';

describe("Docker's image reference grammar", () => {
  it.each([
    'busybox', 'busybox:1.36', 'library/busybox', 'dockerfile/redis', 'coxswain/guestbook:v1', 'localhost/app', 'localhost:5000/a/b:tag',
    'registry.example.com/team/app:2.0_rc-1', 'Registry.Local/app', '127.0.0.1:5000/x:1', '[::1]:5000/x', 'a__b', 'a--b', 'a.b_c',
    `nginx@sha256:${'a'.repeat(64)}`, `nginx:1@sha256:${'0'.repeat(64)}`, 'x'.repeat(255),
  ])('%s is a reference', (image) => expect(imageReferenceProblem(image)).toBeUndefined());

  it.each([
    ['my image', 'must not contain whitespace'],
    [' busybox', 'must not contain whitespace'],
    ['busybox\n', 'must not contain whitespace'],
    ['busybox;rm -rf /', 'must not contain whitespace'],
    ['busybox;id', 'must not contain ";"'],
    ['$(id)', 'must not contain "$"'],
    ['`id`', 'must not contain "`"'],
    ['busybox|sh', 'must not contain "|"'],
    ['Ubuntu', 'repository name "Ubuntu" must be lowercase'],
    ['library/Ubuntu:1', 'repository name "library/Ubuntu" must be lowercase'],
    ['a___b', 'path component "a___b"'],
    ['-a', 'path component "-a"'],
    ['a//b', 'empty path component'],
    ['busybox:', 'tag ""'],
    ['busybox:.x', 'tag ".x"'],
    [`busybox:${'t'.repeat(129)}`, 'tag "ttt'],
    ['busybox@sha256:abc', 'digest "sha256:abc"'],
    [':latest', 'the repository name is missing'],
    ['x'.repeat(256), 'at most 255 characters'],
    ['reg_istry.io/app', 'registry host "reg_istry.io"'],
    ['localhost:port/app', 'registry port "port"'],
  ])('%j is refused: %s', (image, reason) => expect(imageReferenceProblem(image)).toContain(reason));
});
