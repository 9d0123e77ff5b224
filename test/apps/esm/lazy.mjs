export default () => 'dynamically imported';
