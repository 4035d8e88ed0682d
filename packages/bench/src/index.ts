// @coxswain/bench: `npm run bench` (packages/bench/dist/main.js); nothing imports it.
export { main } from './main';
