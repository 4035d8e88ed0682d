// The e2e suites' name for @coxswain/testing's leftover-process finder.
export { processesNaming } from '@coxswain/testing';
