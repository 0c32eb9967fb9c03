/**
 * The `--pd-*` colour variables Podman Desktop injects into every extension webview, so standalone
 * mode's browser page looks as it does inside Podman Desktop. Values: Podman Desktop's colour
 * registry (packages/main/src/plugin/color-registry.ts) of the generation @podman-desktop/ui-svelte
 * 1.29 is written against, resolved through its tailwind-color-palette.json; each entry ends with
 * the palette names, to re-check against a newer registry. Dark is the non-Windows value; oklch()
 * palette entries are converted to sRGB hex (clipped), `withAlpha` entries written as rgba(), and
 * entries that copy others written out. High-contrast themes are not reproduced. 309 entries come
 * from the registry; the last 2 are chosen (see there).
 */

/** One colour variable's value per theme. */
export interface PdThemeColor {
  dark: string;
  light: string;
}

/** `--pd-*` name without the leading dashes → CSS colour value per theme. */
export const PD_THEME_COLORS: Record<string, PdThemeColor> = {
  // Defaults
  'default-text': { dark: '#ffffff', light: '#0f0f11' }, // white / charcoal[900]
  'default-text-link': { dark: '#9f78ff', light: '#7000ed' }, // accent1[400] / accent1[700]
  'default-item-hover': { dark: 'rgba(199, 184, 255, 0.1)', light: 'rgba(126, 8, 255, 0.1)' }, // accent1[200]/0.1 / accent1[600]/0.1

  // Common
  'item-disabled': { dark: 'rgba(214, 211, 209, 0.4)', light: 'rgba(87, 83, 77, 0.4)' }, // stone[300]/0.4 / stone[600]/0.4
  'shadow-color': { dark: 'rgba(0, 0, 0, 0.1)', light: 'rgba(0, 0, 0, 0.1)' }, // black/0.1 / black/0.1
  'shadow-color-strong': { dark: 'rgba(0, 0, 0, 0.3)', light: 'rgba(0, 0, 0, 0.3)' }, // black/0.3 / black/0.3

  // Notification dot
  'notification-dot': { dark: '#9f78ff', light: '#8e51ff' }, // accent1[400] / accent1[500]

  // Global navigation
  'global-nav-bg': { dark: '#27272a', light: '#f6f6f6' }, // charcoal[600] / gray[100]
  'global-nav-bg-border': { dark: '#36363d', light: '#e4e4e4' }, // charcoal[500] / gray[300]
  'global-nav-icon': { dark: '#b4b4b4', light: '#5c5c5c' }, // gray[600] / charcoal[200]
  'global-nav-icon-hover': { dark: '#b4b4b4', light: '#5c5c5c' }, // gray[600] / charcoal[200]
  'global-nav-icon-hover-bg': { dark: 'transparent', light: 'transparent' }, // transparent / transparent
  'global-nav-icon-inset-bg': { dark: '#18181b', light: '#e4e4e4' }, // charcoal[800] / gray[300]
  'global-nav-icon-selected': { dark: '#ffffff', light: '#8e51ff' }, // white / accent1[500]
  'global-nav-icon-selected-bg': { dark: '#36363d', light: '#e9e9e9' }, // charcoal[500] / gray[250]
  'global-nav-icon-selected-highlight': { dark: '#9f78ff', light: '#8e51ff' }, // accent1[400] / accent1[500]

  // Secondary navigation (settings)
  'secondary-nav-bg': { dark: '#222222', light: '#f6f6f6' }, // charcoal[700] / gray[100]
  'secondary-nav-header-text': { dark: '#ffffff', light: '#0f0f11' }, // white / charcoal[900]
  'secondary-nav-text': { dark: '#e4e4e4', light: '#222222' }, // gray[300] / charcoal[700]
  'secondary-nav-text-hover': { dark: '#e7e7e7', light: '#1f1d1d' }, // gray[275] / charcoal[750]
  'secondary-nav-text-hover-bg': { dark: 'transparent', light: 'transparent' }, // transparent / transparent
  'secondary-nav-text-selected': { dark: '#ffffff', light: '#000000' }, // white / black
  'secondary-nav-selected-bg': { dark: '#36363d', light: '#e9e9e9' }, // charcoal[500] / gray[250]
  'secondary-nav-selected-highlight': { dark: '#9f78ff', light: '#8e51ff' }, // accent1[400] / accent1[500]
  'secondary-nav-expander': { dark: '#ffffff', light: '#222222' }, // white / charcoal[700]

  // Title bar (dark value is the non-Windows one)
  'titlebar-bg': { dark: '#0f0f11', light: '#f9fafb' }, // charcoal[900] / gray[50]
  'titlebar-text': { dark: '#ffffff', light: '#8e51ff' }, // white / accent1[500]
  'titlebar-icon': { dark: '#ffffff', light: '#8e51ff' }, // white / accent1[500]
  'titlebar-hover-bg': { dark: '#464649', light: '#e4e4e4' }, // charcoal[300] / gray[300]
  'titlebar-windows-hover-exit-bg': { dark: '#c42b1c', light: '#c42b1c' }, // #c42b1c / #c42b1c
  'titlebar-windows-hover-exit-text': { dark: '#ffffff', light: '#ffffff' }, // white / white
  'titlebar-windows-hover-bg': { dark: '#2d2d2d', light: '#dfdfdf' }, // #2d2d2d / #dfdfdf

  // Content
  'content-breadcrumb': { dark: '#9f78ff', light: '#8e51ff' }, // accent1[400] / accent1[500]
  'content-breadcrumb-2': { dark: '#9f78ff', light: '#8e51ff' }, // accent1[400] / accent1[500]
  'content-header': { dark: '#ffffff', light: '#0f0f11' }, // white / charcoal[900]
  'content-text': { dark: '#aaabac', light: '#535051' }, // gray[700] / charcoal[250]
  'content-sub-header': { dark: '#9f78ff', light: '#8e51ff' }, // accent1[400] / accent1[500]
  'content-header-icon': { dark: '#b4b4b4', light: '#8e51ff' }, // gray[600] / accent1[500]
  'content-card-header-text': { dark: '#dadada', light: '#131316' }, // gray[350] / charcoal[850]
  'content-card-bg': { dark: '#18181b', light: '#fefefe' }, // charcoal[800] / gray[25]
  'content-card-hover-bg': { dark: '#18181b', light: '#fefefe' }, // charcoal[800] / gray[25]
  'content-card-selected-bg': { dark: '#4a4b4f', light: '#ddd6ff' }, // charcoal[400] / accent1[100]
  'content-card-text': { dark: '#dadada', light: '#535051' }, // gray[350] / charcoal[250]
  'content-card-title': { dark: '#d1d1d1', light: '#0f0f11' }, // gray[400] / charcoal[900]
  'content-card-light-title': { dark: '#9a9a9a', light: '#8e51ff' }, // gray[800] / accent1[500]
  'content-card-inset-bg': { dark: '#000000', light: '#ffffff' }, // black / white
  'content-card-hover-inset-bg': { dark: '#000000', light: '#ffffff' }, // black / white
  'content-bg': { dark: '#222222', light: '#f6f6f6' }, // charcoal[700] / gray[100]
  'content-card-icon': { dark: '#9f78ff', light: '#8e51ff' }, // accent1[400] / accent1[500]
  'content-divider': { dark: '#4a4b4f', light: '#aaabac' }, // charcoal[400] / gray[700]
  'content-card-carousel-card-bg': { dark: '#27272a', light: '#f6f6f6' }, // charcoal[600] / gray[100]
  'content-card-carousel-card-hover-bg': { dark: '#27272a', light: '#f6f6f6' }, // charcoal[600] / gray[100]
  'content-card-carousel-card-header-text': { dark: '#f6f6f6', light: '#0f0f11' }, // gray[100] / charcoal[900]
  'content-card-carousel-card-text': { dark: '#d1d1d1', light: '#36363d' }, // gray[400] / charcoal[500]
  'content-card-carousel-nav': { dark: '#9a9a9a', light: '#e4e4e4' }, // gray[800] / gray[300]
  'content-card-carousel-hover-nav': { dark: '#b4b4b4', light: '#c8c8c8' }, // gray[600] / gray[500]
  'content-card-carousel-disabled-nav': { dark: '#222222', light: '#efefef' }, // charcoal[700] / gray[200]
  'content-card-border': { dark: '#18181b', light: '#efefef' }, // charcoal[800] / gray[200]
  'content-card-border-selected': { dark: '#9f78ff', light: '#8e51ff' }, // accent1[400] / accent1[500]
  'content-table-border': { dark: '#4a4b4f', light: '#e4e4e4' }, // charcoal[400] / gray[300]

  // Inverted content
  'invert-content-bg': { dark: '#18181b', light: '#fefefe' }, // charcoal[800] / gray[25]
  'invert-content-header-text': { dark: '#ffffff', light: '#0f0f11' }, // white / charcoal[900]
  'invert-content-header2-text': { dark: '#ffffff', light: '#0f0f11' }, // white / charcoal[900]
  'invert-content-card-bg': { dark: '#27272a', light: '#f6f6f6' }, // charcoal[600] / gray[100]
  'invert-content-card-header-text': { dark: '#ffffff', light: '#0f0f11' }, // white / charcoal[900]
  'invert-content-card-text': { dark: '#e4e4e4', light: '#222222' }, // gray[300] / charcoal[700]
  'invert-content-button-active': { dark: '#9f78ff', light: '#8e51ff' }, // accent1[400] / accent1[500]
  'invert-content-button-inactive': { dark: '#767676', light: '#767676' }, // charcoal[50] / charcoal[50]
  'invert-content-info-icon': { dark: '#9f78ff', light: '#8e51ff' }, // accent1[400] / accent1[500]
  'invert-content-divider': { dark: '#4a4b4f', light: '#aaabac' }, // charcoal[400] / gray[700]
  'invert-content-table-row-stripe': { dark: 'rgba(255, 255, 255, 0.04)', light: 'rgba(0, 0, 0, 0.04)' }, // white/0.04 / black/0.04

  // Cards
  'card-bg': { dark: '#18181b', light: '#e4e4e4' }, // charcoal[800] / gray[300]
  'card-header-text': { dark: '#ffffff', light: '#0f0f11' }, // white / charcoal[900]
  'card-text': { dark: '#e4e4e4', light: '#222222' }, // gray[300] / charcoal[700]

  // Input fields
  'input-field-bg': { dark: 'transparent', light: 'transparent' }, // transparent / transparent
  'input-field-focused-bg': { dark: '#0f0f11', light: '#f6f6f6' }, // charcoal[900] / gray[100]
  'input-field-disabled-bg': { dark: 'transparent', light: 'transparent' }, // transparent / transparent
  'input-field-hover-bg': { dark: 'transparent', light: 'transparent' }, // transparent / transparent
  'input-field-focused-text': { dark: '#ffffff', light: '#0f0f11' }, // white / charcoal[900]
  'input-field-error-text': { dark: '#f0561d', light: '#f0561d' }, // red[550] / red[550]
  'input-field-disabled-text': { dark: '#707073', light: '#aaabac' }, // charcoal[100] / gray[700]
  'input-field-hover-text': { dark: '#aaabac', light: '#5c5c5c' }, // gray[700] / charcoal[200]
  'input-field-placeholder-text': { dark: '#aaabac', light: '#5c5c5c' }, // gray[700] / charcoal[200]
  'input-field-stroke': { dark: '#4a4b4f', light: '#aaabac' }, // charcoal[400] / gray[700]
  'input-field-hover-stroke': { dark: '#ffffff', light: '#8e51ff' }, // white / accent1[500]
  'input-field-stroke-error': { dark: '#f0561d', light: '#f0561d' }, // red[550] / red[550]
  'input-field-stroke-readonly': { dark: '#707073', light: '#707073' }, // charcoal[100] / charcoal[100]
  'input-field-icon': { dark: '#aaabac', light: '#5c5c5c' }, // gray[700] / charcoal[200]
  'input-field-focused-icon': { dark: '#c8c8c8', light: '#8e51ff' }, // gray[500] / accent1[500]
  'input-field-disabled-icon': { dark: '#707073', light: '#aaabac' }, // charcoal[100] / gray[700]
  'input-field-hover-icon': { dark: '#aaabac', light: '#8e51ff' }, // gray[700] / accent1[500]

  // Checkboxes
  'input-checkbox-disabled': { dark: '#48484c', light: '#dadada' }, // charcoal[350] / gray[350]
  'input-checkbox-indeterminate': { dark: '#9f78ff', light: '#8e51ff' }, // accent1[400] / accent1[500]
  'input-checkbox-focused-indeterminate': { dark: '#9f78ff', light: '#8e51ff' }, // accent1[400] / accent1[500]
  'input-checkbox-checked': { dark: '#9f78ff', light: '#8e51ff' }, // accent1[400] / accent1[500]
  'input-checkbox-focused-checked': { dark: '#9f78ff', light: '#8e51ff' }, // accent1[400] / accent1[500]
  'input-checkbox-unchecked': { dark: '#e7e7e7', light: '#111114' }, // gray[275] / charcoal[875]
  'input-checkbox-focused-unchecked': { dark: '#e7e7e7', light: '#111114' }, // gray[275] / charcoal[875]

  // Toggles
  'input-toggle-off-bg': { dark: '#818181', light: '#818181' }, // gray[900] / gray[900]
  'input-toggle-off-focused-bg': { dark: '#9a9a9a', light: '#9a9a9a' }, // gray[800] / gray[800]
  'input-toggle-on-bg': { dark: '#9f78ff', light: '#8e51ff' }, // accent1[400] / accent1[500]
  'input-toggle-on-focused-bg': { dark: '#9f78ff', light: '#8e51ff' }, // accent1[400] / accent1[500]
  'input-toggle-switch': { dark: '#ffffff', light: '#ffffff' }, // white / white
  'input-toggle-focused-switch': { dark: '#ffffff', light: '#ffffff' }, // white / white
  'input-toggle-on-text': { dark: '#e4e4e4', light: '#222222' }, // gray[300] / charcoal[700]
  'input-toggle-off-text': { dark: '#e4e4e4', light: '#222222' }, // gray[300] / charcoal[700]
  'input-toggle-disabled-text': { dark: '#aaabac', light: '#5c5c5c' }, // gray[700] / charcoal[200]
  'input-toggle-off-disabled-bg': { dark: '#0f0f11', light: '#818181' }, // charcoal[900] / gray[900]
  'input-toggle-on-disabled-bg': { dark: '#0f0f11', light: '#818181' }, // charcoal[900] / gray[900]
  'input-toggle-disabled-switch': { dark: '#efefef', light: '#efefef' }, // gray[200] / gray[200]

  // Tables
  'table-header-text': { dark: '#b4b4b4', light: '#5c5c5c' }, // gray[600] / charcoal[200]
  'table-header-unsorted': { dark: '#5c5c5c', light: '#464649' }, // charcoal[200] / charcoal[300]
  'table-body-text': { dark: '#aaabac', light: '#707073' }, // gray[700] / charcoal[100]
  'table-body-text-highlight': { dark: '#e4e4e4', light: '#222222' }, // gray[300] / charcoal[700]
  'table-body-text-sub-secondary': { dark: '#9f78ff', light: '#8e51ff' }, // accent1[400] / accent1[500]
  'table-body-text-sub-highlight': { dark: '#d1d1d1', light: '#5c5c5c' }, // gray[400] / charcoal[200]

  // Details pages
  'details-body-text': { dark: '#efefef', light: '#36363d' }, // gray[200] / charcoal[500]
  'details-empty-icon': { dark: '#b4b4b4', light: '#5c5c5c' }, // gray[600] / charcoal[200]
  'details-empty-header': { dark: '#efefef', light: '#36363d' }, // gray[200] / charcoal[500]
  'details-empty-sub-header': { dark: '#b4b4b4', light: '#36363d' }, // gray[600] / charcoal[500]
  'details-empty-cmdline-bg': { dark: '#0f0f11', light: '#efefef' }, // charcoal[900] / gray[200]
  'details-empty-cmdline-text': { dark: '#d1d1d1', light: '#222222' }, // gray[400] / charcoal[700]
  'details-bg': { dark: '#0f0f11', light: '#f9fafb' }, // charcoal[900] / gray[50]
  'details-card-bg': { dark: '#27272a', light: '#e4e4e4' }, // charcoal[600] / gray[300]
  'details-card-header': { dark: '#aaabac', light: '#464649' }, // gray[700] / charcoal[300]
  'details-card-text': { dark: '#ffffff', light: '#0f0f11' }, // white / charcoal[900]

  // Tabs
  'tab-text': { dark: '#b4b4b4', light: '#5c5c5c' }, // gray[600] / charcoal[200]
  'tab-text-highlight': { dark: '#ffffff', light: '#464649' }, // white / charcoal[300]
  'tab-highlight': { dark: '#e7e7e7', light: '#8e51ff' }, // gray[275] / accent1[500]
  'tab-hover': { dark: '#757373', light: '#dadada' }, // charcoal[75] / gray[350]

  // Modal dialogs
  'modal-fade': { dark: '#000000', light: '#ffffff' }, // black / white
  'modal-text': { dark: '#c8c8c8', light: '#464649' }, // gray[500] / charcoal[300]
  'modal-text-hover': { dark: '#e4e4e4', light: '#8e51ff' }, // gray[300] / accent1[500]
  'modal-bg': { dark: '#18181b', light: '#f9fafb' }, // charcoal[800] / gray[50]
  'modal-border': { dark: '#36363d', light: '#c8c8c8' }, // charcoal[500] / gray[500]
  'modal-header-bg': { dark: '#000000', light: '#f6f6f6' }, // black / gray[100]
  'modal-header-text': { dark: '#f2f2f2', light: '#535051' }, // gray[150] / charcoal[250]
  'modal-header-divider': { dark: '#9f78ff', light: '#8e51ff' }, // accent1[400] / accent1[500]
  'modal-shadow': { dark: 'rgba(0, 0, 0, 0.3)', light: 'rgba(0, 0, 0, 0.3)' }, // black/0.3 / black/0.3

  // Links
  link: { dark: '#9f78ff', light: '#7e08ff' }, // accent1[400] / accent1[600]
  'link-hover-bg': { dark: 'transparent', light: 'transparent' }, // transparent / transparent

  // Buttons (text-link, item-hover and item-disabled values are reused as in the registry)
  'button-primary-bg': { dark: '#8e51ff', light: '#8e51ff' }, // accent1[500] / accent1[500]
  'button-primary-hover-bg': { dark: '#9f78ff', light: '#9f78ff' }, // accent1[400] / accent1[400]
  'button-primary-border': { dark: 'rgba(178, 153, 255, 0.4)', light: 'transparent' }, // accent1[300]/0.4 / transparent
  'button-primary-text': { dark: '#ffffff', light: '#ffffff' }, // white / white
  'button-secondary': { dark: '#44403b', light: '#ddd6ff' }, // stone[700] / accent1[100]
  'button-secondary-bg': { dark: '#44403b', light: '#ddd6ff' }, // stone[700] / accent1[100]
  'button-secondary-hover': { dark: '#45556c', light: '#ede9fe' }, // slate[600] / accent1[50]
  'button-secondary-hover-bg': { dark: '#45556c', light: '#ede9fe' }, // slate[600] / accent1[50]
  'button-secondary-border': { dark: 'rgba(180, 180, 180, 0.4)', light: '#8e51ff' }, // gray[600]/0.4 / accent1[500]
  'button-secondary-text': { dark: '#efefef', light: '#8e51ff' }, // gray[200] / accent1[500]
  'button-text': { dark: '#ffffff', light: '#ffffff' }, // white / white
  'button-disabled': { dark: '#44403b', light: '#d6d3d1' }, // stone[700] / stone[300]
  'button-disabled-bg': { dark: '#44403b', light: '#d6d3d1' }, // stone[700] / stone[300]
  'button-disabled-text': { dark: 'rgba(214, 211, 209, 0.4)', light: 'rgba(87, 83, 77, 0.4)' }, // stone[300]/0.4 / stone[600]/0.4
  'button-danger-bg': { dark: '#c13414', light: '#ffd1c7' }, // red[700] / red[200]
  'button-danger-border': { dark: '#f0561d', light: '#9f2f15' }, // red[550] / red[800]
  'button-danger-text': { dark: '#ffffff', light: '#9f2f15' }, // white / red[800]
  'button-danger-hover-text': { dark: '#ffffff', light: '#ffffff' }, // white / white
  'button-danger-hover-bg': { dark: '#e5421d', light: '#ffe7e1' }, // red[600] / red[100]
  'button-danger-disabled-border': { dark: '#767676', light: '#818181' }, // charcoal[50] / gray[900]
  'button-danger-disabled-text': { dark: '#767676', light: '#818181' }, // charcoal[50] / gray[900]
  'button-danger-disabled-bg': { dark: 'transparent', light: 'transparent' }, // transparent / transparent
  'button-tab-border': { dark: 'transparent', light: 'transparent' }, // transparent / transparent
  'button-tab-border-selected': { dark: '#9f78ff', light: '#7000ed' }, // accent1[400] / accent1[700]
  'button-tab-hover-border': { dark: 'rgba(199, 184, 255, 0.1)', light: 'rgba(126, 8, 255, 0.1)' }, // accent1[200]/0.1 / accent1[600]/0.1
  'button-tab-text': { dark: '#9f78ff', light: '#7000ed' }, // accent1[400] / accent1[700]
  'button-tab-text-selected': { dark: '#9f78ff', light: '#7000ed' }, // accent1[400] / accent1[700]
  'button-close-hover-bg': { dark: '#464649', light: '#e4e4e4' }, // charcoal[300] / gray[300]
  'button-link-bg': { dark: 'transparent', light: 'transparent' }, // transparent / transparent
  'button-link-text': { dark: '#9f78ff', light: '#7000ed' }, // accent1[400] / accent1[700]
  'button-link-hover-bg': { dark: 'rgba(199, 184, 255, 0.1)', light: 'rgba(126, 8, 255, 0.1)' }, // accent1[200]/0.1 / accent1[600]/0.1
  'button-focus-ring': { dark: '#9f78ff', light: '#7000ed' }, // accent1[400] / accent1[700]
  'button-focus-ring-danger': { dark: '#f0561d', light: '#b1380b' }, // red[550] / red[750]
  'button-help-link-text': { dark: '#f6f6f6', light: '#0f0f11' }, // gray[100] / charcoal[900]

  // Action buttons
  'action-button-text': { dark: '#d1d1d1', light: '#36363d' }, // gray[400] / charcoal[500]
  'action-button-bg': { dark: '#0f0f11', light: '#d1d1d1' }, // charcoal[900] / gray[400]
  'action-button-hover-bg': { dark: 'transparent', light: 'transparent' }, // transparent / transparent
  'action-button-hover-text': { dark: '#d1d1d1', light: '#36363d' }, // gray[400] / charcoal[500]
  'action-button-primary-text': { dark: '#e7e7e7', light: '#8e51ff' }, // gray[275] / accent1[500]
  'action-button-primary-hover-text': { dark: '#e7e7e7', light: '#8e51ff' }, // gray[275] / accent1[500]
  'action-button-disabled-text': { dark: '#818181', light: '#818181' }, // gray[900] / gray[900]
  'action-button-details-text': { dark: '#d1d1d1', light: '#0f0f11' }, // gray[400] / charcoal[900]
  'action-button-details-bg': { dark: '#18181b', light: '#f9fafb' }, // charcoal[800] / gray[50]
  'action-button-details-hover-text': { dark: '#d1d1d1', light: '#0f0f11' }, // gray[400] / charcoal[900]
  'action-button-details-disabled-text': { dark: '#818181', light: '#818181' }, // gray[900] / gray[900]
  'action-button-details-disabled-bg': { dark: '#18181b', light: '#f9fafb' }, // charcoal[800] / gray[50]
  'action-button-spinner': { dark: '#9f78ff', light: '#8e51ff' }, // accent1[400] / accent1[500]

  // Tooltips
  'tooltip-bg': { dark: 'rgba(38, 38, 38, 0.8)', light: 'rgba(245, 245, 245, 0.9)' }, // neutral[800]/0.8 / neutral[100]/0.9
  'tooltip-text': { dark: '#ffffff', light: '#1c1917' }, // white / stone[900]
  'tooltip-border': { dark: '#36363d', light: '#c8c8c8' }, // charcoal[500] / gray[500]
  'tooltip-inner-border': { dark: 'rgba(255, 255, 255, 0.33)', light: 'rgba(255, 255, 255, 0.33)' }, // white/0.33 / white/0.33
  'tooltip-outer-border': { dark: 'rgba(0, 0, 0, 0.8)', light: 'rgba(0, 0, 0, 0.33)' }, // black/0.8 / black/0.33

  // Dropdowns and selects
  'dropdown-bg': { dark: '#27272a', light: '#f6f6f6' }, // charcoal[600] / gray[100]
  'select-bg': { dark: '#18181b', light: '#e4e4e4' }, // charcoal[800] / gray[300]
  'dropdown-ring': { dark: '#5b00c0', light: '#8e51ff' }, // accent1[800] / accent1[500]
  'dropdown-hover-ring': { dark: '#7000ed', light: '#8e51ff' }, // accent1[700] / accent1[500]
  'dropdown-divider': { dark: '#27272a', light: '#f6f6f6' }, // charcoal[600] / gray[100]
  'dropdown-item-text': { dark: '#d1d1d1', light: '#27272a' }, // gray[400] / charcoal[600]
  'dropdown-item-hover-bg': { dark: 'transparent', light: 'transparent' }, // transparent / transparent
  'dropdown-item-hover-text': { dark: '#d1d1d1', light: '#535051' }, // gray[400] / charcoal[250]
  'dropdown-disabled-item-text': { dark: '#818181', light: '#707073' }, // gray[900] / charcoal[100]
  'dropdown-disabled-item-bg': { dark: '#18181b', light: '#efefef' }, // charcoal[800] / gray[200]
  'modal-dropdown-highlight': { dark: '#450096', light: '#ede9fe' }, // accent1[900] / accent1[50]
  'modal-dropdown-text': { dark: '#ffffff', light: '#0f0f11' }, // white / charcoal[900]
  'input-select-hover-text': { dark: '#818181', light: '#5c5c5c' }, // gray[900] / charcoal[200]
  'dropdown-border': { dark: 'transparent', light: '#8e51ff' }, // transparent / accent1[500]

  // Labels
  'label-bg': { dark: '#36363d', light: '#e9e9e9' }, // charcoal[500] / gray[250]
  'label-text': { dark: '#cccccc', light: '#464649' }, // gray[450] / charcoal[300]
  'label-primary-bg': { dark: '#450096', light: '#c7b8ff' }, // accent1[900] / accent1[200]
  'label-primary-text': { dark: '#c7b8ff', light: '#5b00c0' }, // accent1[200] / accent1[800]
  'label-secondary-bg': { dark: '#1b3f5f', light: '#c4def3' }, // sky[900] / sky[200]
  'label-secondary-text': { dark: '#c4def3', light: '#1b3f5f' }, // sky[200] / sky[900]
  'label-tertiary-bg': { dark: '#193b20', light: '#bbdfbb' }, // green[900] / green[200]
  'label-tertiary-text': { dark: '#bbdfbb', light: '#193b20' }, // green[200] / green[900]
  'label-quaternary-bg': { dark: '#894b00', light: '#fef9c2' }, // yellow[800] / yellow[100]
  'label-quaternary-text': { dark: '#fdc700', light: '#733e0a' }, // yellow[400] / yellow[900]

  // Statuses
  'status-running': { dark: '#64ad6c', light: '#3c8d47' }, // green[400] / green[500]
  'status-terminated': { dark: '#f86847', light: '#e5421d' }, // red[500] / red[600]
  'status-waiting': { dark: '#f59e0b', light: '#b45309' }, // amber[500] / amber[700]
  'status-starting': { dark: '#64ad6c', light: '#3c8d47' }, // green[400] / green[500]
  'status-stopped': { dark: '#c8c8c8', light: '#464649' }, // gray[500] / charcoal[300]
  'status-exited': { dark: '#c8c8c8', light: '#464649' }, // gray[500] / charcoal[300]
  'status-not-running': { dark: '#c8c8c8', light: '#464649' }, // gray[500] / charcoal[300]
  'status-paused': { dark: '#c8c8c8', light: '#464649' }, // gray[500] / charcoal[300]
  'status-degraded': { dark: '#f59e0b', light: '#b45309' }, // amber[500] / amber[700]
  'status-created': { dark: '#51a2da', light: '#2f88c8' }, // sky[400] / sky[500]
  'status-dead': { dark: '#f86847', light: '#e5421d' }, // red[500] / red[600]
  'status-unknown': { dark: '#c8c8c8', light: '#464649' }, // gray[500] / charcoal[300]
  'status-connected': { dark: '#64ad6c', light: '#3c8d47' }, // green[400] / green[500]
  'status-disconnected': { dark: '#c8c8c8', light: '#464649' }, // gray[500] / charcoal[300]
  'status-updated': { dark: '#51a2da', light: '#2f88c8' }, // sky[400] / sky[500]
  'status-ready': { dark: '#c8c8c8', light: '#464649' }, // gray[500] / charcoal[300]
  'status-running-bg': { dark: 'rgba(25, 59, 32, 0.2)', light: 'rgba(187, 223, 187, 0.2)' }, // green[900]/0.2 / green[200]/0.2
  'status-stopped-bg': { dark: 'rgba(54, 54, 61, 0.2)', light: 'rgba(228, 228, 228, 0.2)' }, // charcoal[500]/0.2 / gray[300]/0.2
  'status-terminated-bg': { dark: 'rgba(132, 44, 24, 0.2)', light: 'rgba(255, 209, 199, 0.2)' }, // red[900]/0.2 / red[200]/0.2
  'status-starting-bg': { dark: 'rgba(25, 59, 32, 0.2)', light: 'rgba(187, 223, 187, 0.2)' }, // green[900]/0.2 / green[200]/0.2
  'status-unknown-bg': { dark: 'rgba(54, 54, 61, 0.2)', light: 'rgba(228, 228, 228, 0.2)' }, // charcoal[500]/0.2 / gray[300]/0.2
  'status-contrast': { dark: '#ffffff', light: '#ffffff' }, // white / white

  // Status bar
  'statusbar-bg': { dark: '#000000', light: '#000000' }, // black / black
  'statusbar-hover-bg': { dark: '#8e51ff', light: '#8e51ff' }, // accent1[500] / accent1[500]
  'statusbar-text': { dark: '#ffffff', light: '#ffffff' }, // white / white

  // Onboarding
  'onboarding-active-dot-bg': { dark: '#9f78ff', light: '#8e51ff' }, // accent1[400] / accent1[500]
  'onboarding-active-dot-border': { dark: '#9f78ff', light: '#8e51ff' }, // accent1[400] / accent1[500]
  'onboarding-inactive-dot-bg': { dark: 'transparent', light: 'transparent' }, // transparent / transparent
  'onboarding-inactive-dot-border': { dark: '#aaabac', light: '#aaabac' }, // gray[700] / gray[700]
  'onboarding-step-completed-text': { dark: '#000000', light: '#ffffff' }, // black / white

  // States and severities
  'state-success': { dark: '#87bb62', light: '#3d7317' }, // green[350] / green[550]
  'state-warning': { dark: '#f0b100', light: '#a65f00' }, // yellow[500] / yellow[700]
  'state-error': { dark: '#f0561d', light: '#b1380b' }, // red[550] / red[750]
  'state-info': { dark: '#9f78ff', light: '#8e51ff' }, // accent1[400] / accent1[500]
  'severity-low': { dark: '#c8c8c8', light: '#c8c8c8' }, // gray[500] / gray[500]
  'severity-medium': { dark: '#9a9a9a', light: '#9a9a9a' }, // gray[800] / gray[800]

  // Image files explorer
  'files-hidden': { dark: '#f86847', light: '#f86847' }, // red[500] / red[500]
  'files-directory': { dark: '#2f88c8', light: '#2f88c8' }, // sky[500] / sky[500]
  'files-symlink': { dark: '#90c3e9', light: '#90c3e9' }, // sky[300] / sky[300]
  'files-executable': { dark: '#3c8d47', light: '#3c8d47' }, // green[500] / green[500]

  // Terminal
  'terminal-foreground': { dark: '#ffffff', light: '#000000' }, // white / black
  'terminal-background': { dark: '#000000', light: '#ffffff' }, // black / white
  'terminal-cursor': { dark: '#ffffff', light: '#000000' }, // white / black
  'terminal-selectionBackground': { dark: '#ffffff', light: '#000000' }, // white / black
  'terminal-selectionForeground': { dark: '#000000', light: '#ffffff' }, // black / white
  'terminal-ansiBlack': { dark: '#000000', light: '#000000' }, // black / black
  'terminal-ansiRed': { dark: '#f86847', light: '#f86847' }, // red[500] / red[500]
  'terminal-ansiGreen': { dark: '#3c8d47', light: '#3c8d47' }, // green[500] / green[500]
  'terminal-ansiYellow': { dark: '#f0b100', light: '#f0b100' }, // yellow[500] / yellow[500]
  'terminal-ansiBlue': { dark: '#2f88c8', light: '#2f88c8' }, // sky[500] / sky[500]
  'terminal-ansiMagenta': { dark: '#8b5cf6', light: '#8b5cf6' }, // purple[500] / purple[500]
  'terminal-ansiCyan': { dark: '#2f88c8', light: '#2f88c8' }, // sky[500] / sky[500]
  'terminal-ansiWhite': { dark: '#ffffff', light: '#ffffff' }, // white / white
  'terminal-ansiBrightBlack': { dark: '#c8c8c8', light: '#c8c8c8' }, // gray[500] / gray[500]
  'terminal-ansiBrightRed': { dark: '#e5421d', light: '#e5421d' }, // red[600] / red[600]
  'terminal-ansiBrightGreen': { dark: '#2b7037', light: '#2b7037' }, // green[600] / green[600]
  'terminal-ansiBrightYellow': { dark: '#d08700', light: '#d08700' }, // yellow[600] / yellow[600]
  'terminal-ansiBrightBlue': { dark: '#206ca9', light: '#206ca9' }, // sky[600] / sky[600]
  'terminal-ansiBrightMagenta': { dark: '#6d48bf', light: '#6d48bf' }, // purple[600] / purple[600]
  'terminal-ansiBrightCyan': { dark: '#206ca9', light: '#206ca9' }, // sky[600] / sky[600]
  'terminal-ansiBrightWhite': { dark: '#ffffff', light: '#ffffff' }, // white / white

  // Progress bars
  'progressBar-bg': { dark: '#57534d', light: '#d6d3d1' }, // stone[600] / stone[300]
  'progressBar-in-progress-bg': { dark: '#f5f5f4', light: '#44403b' }, // stone[100] / stone[700]
  'progressBar-in-progress-border': { dark: '#292524', light: '#ffffff' }, // stone[800] / white
  'progressBar-hc-line-bg': { dark: 'transparent', light: 'transparent' }, // transparent / transparent
  'progressBar-text': { dark: '#9f78ff', light: '#8e51ff' }, // accent1[400] / accent1[500]

  // Badges
  'badge-builtin-extension-bg': { dark: '#c4def3', light: '#c4def3' }, // sky[200] / sky[200]
  'badge-text': { dark: '#18181b', light: '#18181b' }, // charcoal[800] / charcoal[800]
  'badge-dd-extension-bg': { dark: '#206ca9', light: '#206ca9' }, // sky[600] / sky[600]
  'badge-devmode-extension-bg': { dark: '#8772c7', light: '#8772c7' }, // dustypurple[600] / dustypurple[600]
  'badge-dd-extension-text': { dark: '#ffffff', light: '#ffffff' }, // white / white
  'badge-sky': { dark: '#2f88c8', light: '#2f88c8' }, // sky[500] / sky[500]
  'badge-purple': { dark: '#ad8bfa', light: '#8b5cf6' }, // purple[400] / purple[500]
  'badge-fuchsia': { dark: '#c200ff', light: '#c200ff' }, // fuchsia[600] / fuchsia[600]
  'badge-fuschia': { dark: '#c200ff', light: '#c200ff' }, // fuchsia[600] / fuchsia[600]
  'badge-gray': { dark: '#b4b4b4', light: '#b4b4b4' }, // gray[600] / gray[600]

  // Providers
  'provider-podman': { dark: '#6d48bf', light: '#6d48bf' }, // purple[600] / purple[600]
  'provider-docker': { dark: '#51a2da', light: '#51a2da' }, // sky[400] / sky[400]
  'provider-kubernetes': { dark: '#206ca9', light: '#206ca9' }, // sky[600] / sky[600]
  'provider-unknown': { dark: '#818181', light: '#818181' }, // gray[900] / gray[900]

  // Toasts
  'toast-success-bg': { dark: '#2b7037', light: '#3c8d47' }, // green[600] / green[500]
  'toast-success-color': { dark: '#ffffff', light: '#ffffff' }, // white / white
  'toast-success-bar-bg': { dark: '#3c8d47', light: '#64ad6c' }, // green[500] / green[400]
  'toast-error-bg': { dark: '#c13414', light: '#e5421d' }, // red[700] / red[600]
  'toast-error-color': { dark: '#ffffff', light: '#ffffff' }, // white / white
  'toast-error-bar-bg': { dark: '#f86847', light: '#ff866a' }, // red[500] / red[400]
  'toast-warning-bg': { dark: '#f0b100', light: '#f0b100' }, // yellow[500] / yellow[500]
  'toast-warning-color': { dark: '#000000', light: '#000000' }, // black / black
  'toast-warning-bar-bg': { dark: '#d08700', light: '#d08700' }, // yellow[600] / yellow[600]
  'toast-info-bg': { dark: '#7e08ff', light: '#8e51ff' }, // accent1[600] / accent1[500]
  'toast-info-color': { dark: '#ffffff', light: '#ffffff' }, // white / white
  'toast-info-bar-bg': { dark: '#9f78ff', light: '#b299ff' }, // accent1[400] / accent1[300]

  // Chosen, not from the registry: used by @podman-desktop/ui-svelte but not defined by Podman Desktop.
  // ListOrganizer header: undefined in Podman Desktop, so it renders transparent there (the dropdown shows through).
  'dropdown-header-bg': { dark: 'transparent', light: 'transparent' }, // transparent / transparent
  // ListOrganizer disabled "reset" text: the registry's dropdown-disabled-item-text values.
  'dropdown-item-disabled-text': { dark: '#818181', light: '#707073' }, // gray[900] / charcoal[100]
};
