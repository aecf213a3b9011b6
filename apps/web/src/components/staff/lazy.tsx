import { lazy, Suspense, type ComponentProps } from 'react';

// Staff-only pieces of pages the patient app shares (the thread page, the inbox): loaded on first use, so the
// patient app's initial JS does not carry them.
const Panel = lazy(() => import('./StaffContextPanel.js').then((m) => ({ default: m.StaffContextPanel })));
const Tools = lazy(() => import('./StaffMessageTools.js').then((m) => ({ default: m.StaffMessageTools })));
const Shortcuts = lazy(() => import('./StaffShortcuts.js').then((m) => ({ default: m.StaffShortcuts })));

export function LazyStaffContextPanel(props: ComponentProps<typeof Panel>) {
  return (
    <Suspense fallback={null}>
      <Panel {...props} />
    </Suspense>
  );
}

export function LazyStaffMessageTools(props: ComponentProps<typeof Tools>) {
  return (
    <Suspense fallback={null}>
      <Tools {...props} />
    </Suspense>
  );
}

export function LazyStaffShortcuts(props: ComponentProps<typeof Shortcuts>) {
  return (
    <Suspense fallback={null}>
      <Shortcuts {...props} />
    </Suspense>
  );
}
