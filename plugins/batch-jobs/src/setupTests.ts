import '@testing-library/jest-dom';

// Component tests render Backstage tables and dialogs; on a 2-core CI
// machine running two jest workers a single test can take several seconds.
jest.setTimeout(30_000);
